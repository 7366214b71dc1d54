"""The kernel: the child process that runs the user's code, and the shell's handle on it."""
