"""The shell process: the prompt loop, the editor, the kernel client and the session record."""
