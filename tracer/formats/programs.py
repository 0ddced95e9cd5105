"""Syslog program tags -> pattern families.

:func:`family_of` runs once per syslog line, so it is a cached dict lookup
after the first sight of a tag. Families are the keys of
:attr:`tracer.formats.registry.Registry.families`; a tag that maps to
``(None, None)`` belongs to a daemon mmtrace does not read (amavis, dovecot,
opendkim, ...) and the caller counts its lines as ignored.

Postfix tags are ``$syslog_name/<daemon>`` (reference postfix-logs.md 1.1,
``mail_task()``): ``syslog_name`` defaults to ``postfix``, may itself contain
``/`` (``-o syslog_name=postfix/submission``, ``postfix/$service_name``) and
names the instance under ``postmulti`` (``postfix-out``). As in Postfix's own
``collate.pl``, the instance is the first path component when it is
``postfix`` or starts with ``postfix-``, and the daemon is the last one.
"""

from __future__ import annotations

from functools import lru_cache

#: Postfix executables whose lines have patterns, and the family their lines
#: go to. ``oqmgr``/``nqmgr`` are the old queue managers (same log lines as
#: qmgr); master.cf services such as ``retry`` or ``relay`` run the ``error``
#: or ``smtp`` binary and so already log under that binary's name.
POSTFIX_DAEMONS: dict[str, str] = {
    d: d for d in (
        "smtpd", "cleanup", "pickup", "qmgr", "local", "pipe", "smtp", "lmtp", "virtual", "error",
        "discard", "bounce", "postsuper", "postscreen", "anvil", "scache", "dnsblog", "master",
        "tlsmgr", "tlsproxy", "trivial-rewrite", "verify", "postdrop", "sendmail", "postqueue",
        "postfix-script", "postmap", "postlog",
    )
} | {"oqmgr": "qmgr", "nqmgr": "qmgr"}

#: Non-Postfix tags that share the maillog. Sendmail names its syslog ident
#: after its process title, hence ``sm-acceptingconnections`` (ref 5.1); smrsh
#: logs under its own ident ``smrsh`` (sendmail ``smrsh/smrsh.c``: ``openlog("smrsh", ...)``).
#: Mailman's C wrapper opens syslog as ``Mailman mail-wrapper`` (ref 5.4).
OTHER_PROGRAMS: dict[str, str] = {
    "sendmail": "sendmail",
    "sm-mta": "sendmail",
    "sm-msp-queue": "sendmail",
    "sm-acceptingconnections": "sendmail",
    "smrsh": "smrsh",
    "exim": "exim",
    "exim4": "exim",
    "Mailman mail-wrapper": "mailman-wrapper",
}


@lru_cache(maxsize=4096)
def family_of(program: str) -> tuple[str | None, str | None]:
    """``(family, instance)`` for a syslog tag; ``(None, None)`` for programs mmtrace does not read.

    >>> family_of("postfix-smo/submission/smtpd")
    ('postfix/smtpd', 'postfix-smo')
    >>> family_of("sm-mta")
    ('sendmail', None)
    >>> family_of("dovecot")
    (None, None)
    """
    other = OTHER_PROGRAMS.get(program)
    if other is not None:
        return other, None
    instance, slash, rest = program.partition("/")
    if not slash or not rest or not (instance == "postfix" or instance.startswith("postfix-")):
        return None, None
    daemon = POSTFIX_DAEMONS.get(rest.rpartition("/")[2])
    if daemon is None:
        return None, None
    return "postfix/" + daemon, instance


__all__ = ["OTHER_PROGRAMS", "POSTFIX_DAEMONS", "family_of"]
