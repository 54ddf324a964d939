"""Core ``zebra`` subcommands, one module each, imported only when used.

Command modules import only click and light core modules at their top;
anything heavy is imported inside the command function.
"""
