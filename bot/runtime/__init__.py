"""The program's owner: start-up and the runtime that runs every platform as a peer."""
