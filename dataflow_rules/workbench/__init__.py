"""The policy drafters' workbench: validate, lint, test, diff and explain catalogues.

Its commands are :mod:`.commands`; each capability lives in its own module:
:mod:`.validate`, :mod:`.lint`, :mod:`.suites`, :mod:`.diff`, :mod:`.explain`,
:mod:`.remediate`, :mod:`.corpus`. docs/workbench.md documents the commands, lint codes and
exit codes.
"""
