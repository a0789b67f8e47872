from bigday.cli import entry

entry()
