"""The file watcher: runs in the shell process and says which user source files may have changed."""
