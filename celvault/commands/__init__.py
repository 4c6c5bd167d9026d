"""One module per command group; commands only parse arguments and call the library."""
