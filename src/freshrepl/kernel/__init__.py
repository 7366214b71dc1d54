"""The kernel process: runs the user's code in an InteractiveConsole and answers the shell."""
