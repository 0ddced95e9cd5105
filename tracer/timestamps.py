"""Log time stamps -> UTC: syslog dates without a year, RFC 3339, Mailman dates, local zones.

A syslog stamp (``Jul  5 06:52:11``) has neither year nor zone, a Mailman stamp
(``Aug 22 09:14:05 2013``) has no zone, and rsyslog/journald stamps carry their
offset. :func:`resolve` turns the stamps of one file, in file order, into UTC
with pandas, one vectorised parse per stamp kind (see
:mod:`tracer.formats.envelope` for the kinds), because it runs on millions of
stamps. Zone-less stamps are local time of the host that wrote them, given as
an IANA zone name. Reference: ../shared/reference/postfix-logs.md 1.2-1.6 and
mailman2-logs.md 1.2-1.3.
"""

from __future__ import annotations

import functools
import logging
import os
import re
from datetime import datetime
from pathlib import Path
from typing import Sequence
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from .errors import UsageError

log = logging.getLogger(__name__)

_NAT = np.iinfo(np.int64).min
_MINUTE = 60 * 10**9
#: wall clock going back by more than this inside a repeated DST hour means "second pass"
_FOLD_JUMP = 5 * _MINUTE
_EN_MONTHS = {m: i for i, m in enumerate(
    ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1)}
_EN_ABBR = {i: m for m, i in _EN_MONTHS.items()}
# English month abbreviations as sorted integer keys (code points packed) for numpy look-up
_MONTH_KEYS, _MONTH_NUMS = (np.array(v) for v in zip(*sorted(
    (ord(m[0]) << 16 | ord(m[1]) << 8 | ord(m[2]), i) for m, i in _EN_MONTHS.items())))
# glibc %b in a few locales, lower-cased and without the dot: lnav's test file has
# "août 19 11:08:37" (ref 1.2); English wins where names collide (mar, dec, ...)
_LOCAL_MONTHS = {
    **{w: 1 for w in ("janv", "jan", "ene", "gen", "jän")},
    **{w: 2 for w in ("févr", "fév", "fev", "feb")},
    **{w: 3 for w in ("mars", "mär", "mrz", "mar")},
    **{w: 4 for w in ("avr", "avril", "abr", "apr")},
    **{w: 5 for w in ("mai", "may", "mag", "mei")},
    **{w: 6 for w in ("juin", "jun", "giu")},
    **{w: 7 for w in ("juil", "jul", "lug")},
    **{w: 8 for w in ("août", "aoû", "aug", "ago")},
    **{w: 9 for w in ("sept", "sep", "set")},
    **{w: 10 for w in ("oct", "okt", "ott", "out")},
    **{w: 11 for w in ("nov",)},
    **{w: 12 for w in ("déc", "dec", "dez", "dic")},
}
_LEAP_SECOND = re.compile(r"(\d\d:\d\d):60")
_ROTATED = re.compile(r"(?<!\d)((?:19|20)\d\d)([-._]?)(0[1-9]|1[0-2])\2([0-2]\d|3[01])(?!\d)")


def resolve(ts: Sequence[str], kinds: Sequence[str], tz: str | None, year: int | None = None,
            year_hint: int | None = None) -> pd.Series:
    """UTC times (``datetime64[ns, UTC]``) for the stamps of ONE file, given in file order.

    ``tz`` is the writer's IANA zone (None: this machine's zone) for zone-less
    kinds. A ``bsd`` stamp has no year: ``year`` (the user's --year) or else
    ``year_hint`` (Mailman logs of the host, file mtime) is the year of the
    file's LAST such stamp, and earlier stamps step back a year at each month
    drop of more than six (Dec -> Jan); a month rise of more than six (Jan -> Dec,
    a line stamped before New Year but written after it) steps the other way, so
    consecutive stamps are taken to be less than about six months apart.
    Unreadable stamps give NaT.

    >>> resolve(["Dec 31 23:59:58", "Jan  1 00:00:03"], ["bsd", "bsd"], "UTC", year_hint=2014).tolist()
    [Timestamp('2013-12-31 23:59:58+0000', tz='UTC'), Timestamp('2014-01-01 00:00:03+0000', tz='UTC')]
    """
    text = ts.reset_index(drop=True) if isinstance(ts, pd.Series) else pd.Series(ts, dtype=object)
    if len(text) != len(kinds):
        raise ValueError(f"resolve: {len(text)} stamps but {len(kinds)} kinds")
    out = np.full(len(text), _NAT, dtype=np.int64)
    if len(text):
        zone = _zone(tz)
        codes, names = pd.factorize(np.asarray(kinds, dtype=object))
        for code, kind in enumerate(names):
            idx = np.flatnonzero(codes == code)
            out[idx] = _resolve_kind(text.iloc[idx].reset_index(drop=True), kind, zone, year, year_hint)
    return pd.Series(out.view("M8[ns]")).dt.tz_localize("UTC")


def _resolve_kind(s: pd.Series, kind: str, zone: str, year: int | None, year_hint: int | None) -> np.ndarray:
    """UTC nanoseconds (NaT = int64 min) for stamps of one kind, in file order."""
    if kind == "bsd":
        return _localize(_bsd(s, year, year_hint), zone)
    if kind == "mailman":  # StampedLogger: strftime("%b %d %H:%M:%S %Y "), local time (mailman2-logs 1.2)
        return _localize(pd.to_datetime(s, format="%b %d %H:%M:%S %Y", errors="coerce"), zone)
    if kind == "local_iso":
        return _localize(pd.to_datetime(s, format="ISO8601", errors="coerce"), zone)
    if kind == "rfc3339":
        return _rfc3339(s)
    if kind == "epoch_us":  # journald __REALTIME_TIMESTAMP, microseconds as text (ref 1.5)
        us = pd.to_numeric(s, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        return np.where(np.isnan(us), _NAT, np.nan_to_num(us).astype(np.int64) * 1000)
    if kind == "epoch":  # journalctl -o short-unix: %10u.%06u (ref 1.5)
        parts = s.str.partition(".")
        sec = pd.to_numeric(parts[0], errors="coerce")
        frac = pd.to_numeric(parts[2].str.ljust(9, "0").str.slice(0, 9), errors="coerce").fillna(0)
        ns = sec.fillna(0).to_numpy(dtype=np.int64) * 10**9 + frac.to_numpy(dtype=np.int64)
        return np.where(sec.notna().to_numpy(), ns, _NAT)
    if kind == "short_full":
        return _short_full(s, zone)
    raise ValueError(f"resolve: unknown time stamp kind {kind!r}")


def _bsd(s: pd.Series, year: int | None, year_hint: int | None) -> pd.DatetimeIndex:
    """Wall times of yearless ``Mmm dd hh:mm:ss[.frac]`` stamps, years walked back from the last one."""
    month, day, nanos, fixed = _bsd_columns(s)
    rest = np.flatnonzero(~fixed)
    text = s.iloc[rest].astype(object)  # the few odd stamps, as plain strings
    if len(rest):  # unpadded days, localised month names, junk: the slower string path
        foreign = text.str.slice(0, 3).map(_EN_MONTHS).isna()
        if foreign.any():
            text = text.copy()
            text[foreign] = text[foreign].map(_to_english)
        month[rest] = text.str.slice(0, 3).map(_EN_MONTHS).fillna(0).to_numpy(dtype=np.int64)
    ok = month > 0
    years = np.zeros(len(s), dtype=np.int64)
    if ok.any():
        m = month[ok]
        last = year if year is not None else year_hint
        if last is None:  # no hint at all: assume the file ends within the last twelve months
            today = datetime.now()
            last = today.year - (1 if m[-1] > today.month else 0)
        d = np.diff(m)
        # Dec -> Jan (month drops by more than 6) starts a new year; Jan -> Dec (a late
        # line written after New Year) steps back to the previous one
        step = np.concatenate(([0], np.cumsum((d < -6).astype(np.int64) - (d > 6))))
        years[ok] = last - (step[-1] - step)
    wall = np.full(len(s), _NAT, dtype=np.int64)
    f = fixed & ok
    if f.any():
        first = ((years[f] - 1970) * 12 + month[f] - 1).astype("M8[M]")
        date = first.astype("M8[D]") + (day[f] - 1)
        wall[f] = np.where(date.astype("M8[M]") == first,  # Feb 30 or Feb 29 of a common year: NaT
                           date.astype("M8[ns]").astype(np.int64) + nanos[f], _NAT)
    if len(rest):
        full = pd.Series(years[rest].astype(str), dtype=object) + " " + text.reset_index(drop=True).astype(object)
        frac = text.str.contains(".", regex=False, na=False).to_numpy()
        for sel, fmt in ((~frac, "%Y %b %d %H:%M:%S"), (frac, "%Y %b %d %H:%M:%S.%f")):
            if sel.any():
                got = pd.to_datetime(full[sel], format=fmt, errors="coerce")
                wall[rest[sel]] = pd.DatetimeIndex(got).as_unit("ns").asi8
        wall[rest[~ok[rest]]] = _NAT
    return pd.DatetimeIndex(wall.view("M8[ns]"))


def _bsd_columns(s: pd.Series, chunk: int = 1 << 16):
    """Month, day, nanoseconds of day for ``Mmm dd hh:mm:ss[.frac]`` stamps of fixed width
    (space- or zero-padded day, English month), read with numpy on the code points
    because pandas' ``%b`` parser costs seconds per million stamps; ``fixed`` marks them."""
    n = len(s)
    month = np.zeros(n, dtype=np.int64)
    day = np.zeros(n, dtype=np.int64)
    nanos = np.zeros(n, dtype=np.int64)
    fixed = np.zeros(n, dtype=bool)
    values = _fixed_width(s)
    weights = 10 ** np.arange(8, -1, -1, dtype=np.int64)
    for lo in range(0, n, chunk):
        if values.dtype.kind == "S":  # fixed-width ASCII bytes: the code points without decoding
            raw = values[lo:lo + chunk].view(np.uint8).reshape(-1, 15)
            u = raw
            c = np.zeros((len(raw), 26), dtype=np.int32)
            c[:, :15] = raw
            length = np.full(len(raw), 15)
        else:
            u = np.asarray(values[lo:lo + chunk], dtype="U26")
            c = u.view(np.int32).reshape(len(u), 26)
            length = np.char.str_len(u)
        key = c[:, 0].astype(np.int64) << 16 | c[:, 1].astype(np.int64) << 8 | c[:, 2]
        pos = np.minimum(np.searchsorted(_MONTH_KEYS, key), 11)
        dig = c[:, [4, 5, 7, 8, 10, 11, 13, 14]] - 48
        dig[:, 0] = np.where(c[:, 4] == 32, 0, dig[:, 0])  # "Jul  5"
        good = ((_MONTH_KEYS[pos] == key) & (c[:, 3] == 32) & (c[:, 6] == 32) & (c[:, 9] == 58) & (c[:, 12] == 58)
                & ((dig >= 0) & (dig <= 9)).all(axis=1) & ((length == 15) | (length > 16) & (c[:, 15] == 46)))
        dd = dig[:, 0] * 10 + dig[:, 1]
        hh, mi, ss = dig[:, 2] * 10 + dig[:, 3], dig[:, 4] * 10 + dig[:, 5], dig[:, 6] * 10 + dig[:, 7]
        good &= (dd >= 1) & (hh < 24) & (mi < 60) & (ss <= 60)
        ns = ((hh * 60 + mi) * 60 + ss).astype(np.int64) * 10**9
        sub = np.flatnonzero(good & (length > 16))
        if len(sub):  # ".frac": up to nine digits after the seconds
            fd = c[sub, 16:25] - 48
            used = np.arange(16, 25) < length[sub, None]
            good[sub] &= ((fd >= 0) & (fd <= 9) | ~used).all(axis=1) & (length[sub] <= 25)
            ns[sub] += (np.where(used, fd, 0) * weights).sum(axis=1)
        sl = slice(lo, lo + len(u))
        month[sl] = np.where(good, _MONTH_NUMS[pos], 0)
        day[sl] = dd
        nanos[sl] = ns
        fixed[sl] = good
    return month, day, nanos, fixed


def _fixed_width(s: pd.Series) -> np.ndarray:
    """The stamps as numpy ``S15`` straight from their Arrow bytes when all are ``Mmm dd hh:mm:ss``
    (the usual case: no Python string per row), else as objects."""
    arr = s.array
    if isinstance(arr, pd.arrays.ArrowStringArray) and len(s):
        import pyarrow as pa
        import pyarrow.compute as pc

        a = arr._pa_array.combine_chunks()  # noqa: SLF001 - the Arrow data behind pandas' strings
        if a.null_count == 0 and pc.all(pc.equal(pc.binary_length(a), 15)).as_py():
            a = a.cast(pa.large_binary())
            first = int(np.frombuffer(a.buffers()[1], dtype=np.int64, count=1, offset=a.offset * 8)[0])
            data = np.frombuffer(a.buffers()[2], dtype=np.uint8)[first:first + 15 * len(a)]
            if (data < 128).all():  # numpy reads S as ASCII
                return data.view("S15")
    return s.to_numpy(dtype=object, na_value="")


def _to_english(stamp: str) -> str | float:
    """``août 19 11:08:37`` -> ``Aug 19 11:08:37``; NaN when the month word is unknown."""
    word, _, rest = stamp.partition(" ")
    num = _LOCAL_MONTHS.get(word.lower().rstrip("."))
    return f"{_EN_ABBR[num]} {rest.lstrip()}" if num else np.nan


def _rfc3339(s: pd.Series) -> np.ndarray:
    """Stamps with their own offset (Z, ±hh:mm, ±hhmm, space before the offset)."""
    utc = pd.to_datetime(s, format="ISO8601", utc=True, errors="coerce")
    bad = utc.isna() & s.notna()
    if bad.any():  # RFC 5424 allows a leap second (ref 1.4: 2016-12-31T23:59:60-04:00)
        utc[bad] = pd.to_datetime(s[bad].str.replace(_LEAP_SECOND, r"\1:59", regex=True), format="ISO8601",
                                  utc=True, errors="coerce")
    return pd.DatetimeIndex(utc).as_unit("ns").asi8


def _short_full(s: pd.Series, zone: str) -> np.ndarray:
    """journalctl -o short-full, ``Fri 2009-02-13 23:31:30 UTC``: UTC/GMT and numeric zones are
    honoured, any other abbreviation is taken as the host's own zone (journalctl prints local time)."""
    parts = s.str.slice(4).str.rpartition(" ")
    stamp, name = parts[0], parts[2]
    out = np.full(len(s), _NAT, dtype=np.int64)
    utc = name.isin(["UTC", "GMT", "UCT", "Z"]).to_numpy()
    numeric = name.str.fullmatch(r"[+-]\d\d(?::?\d\d)?", na=False).to_numpy()
    zoned = utc | numeric
    if zoned.any():
        offset = name.where(~utc, "+00:00").where(~numeric | (name.str.len() > 3), name + ":00")
        out[zoned] = _rfc3339((stamp + offset)[zoned])
    if (~zoned).any():
        out[~zoned] = _localize(pd.to_datetime(stamp[~zoned], format="ISO8601", errors="coerce"), zone)
    return out


def _localize(wall, zone: str) -> np.ndarray:
    """UTC nanoseconds of local wall times in file order, never raising on DST.

    A repeated (ambiguous) hour takes the earlier offset, except after the wall
    clock has visibly gone back within it (the second pass); a skipped
    (non-existent) time is read with the offset before the gap, which moves it
    forward by the gap, as mktime() does.
    """
    wall = pd.DatetimeIndex(wall).as_unit("ns")
    local = wall.tz_localize(zone, ambiguous="NaT", nonexistent="NaT")
    out = local.asi8.copy()
    bad = np.flatnonzero(local.isna() & wall.notna())
    if len(bad) == 0:
        return out
    w = wall[bad]
    first = w.tz_localize(zone, ambiguous=np.ones(len(w), dtype=bool), nonexistent="NaT")
    second = w.tz_localize(zone, ambiguous=np.zeros(len(w), dtype=bool), nonexistent="NaT")
    amb = first.notna()
    fold = np.zeros(len(w), dtype=bool)
    fold[amb] = _second_pass(w.asi8[amb])
    out[bad] = np.where(fold, second.asi8, first.asi8)
    gap = ~amb
    if gap.any():
        before = (w[gap] - pd.Timedelta(hours=6)).tz_localize(zone, ambiguous=np.ones(int(gap.sum()), dtype=bool),
                                                              nonexistent="shift_forward")
        offset = before.tz_localize(None).asi8 - before.asi8
        out[bad[gap]] = w[gap].asi8 - offset
    return out


def _second_pass(wall: np.ndarray) -> np.ndarray:
    """For wall times inside repeated hours (file order): True from the point the clock went back."""
    day = wall // (86400 * 10**9)
    same_day = np.concatenate(([False], day[1:] == day[:-1]))
    jump = np.concatenate(([False], np.diff(wall) < -_FOLD_JUMP)) & same_day
    count = np.cumsum(jump)
    # jumps counted since the first repeated stamp of the same day
    start = np.maximum.accumulate(np.where(~same_day, count, 0))
    return count > start


def _zone(tz: str | None) -> str:
    """A zone name pandas accepts, or UsageError saying what to pass instead."""
    return _zone_for(tz, os.environ.get("TZ") if tz is None else None)


@functools.lru_cache(maxsize=64)
def _zone_for(tz: str | None, env_tz: str | None) -> str:
    """:func:`_zone`, remembered: ``format_ts`` asks once per printed time, and finding this
    machine's zone stats /etc/localtime each time (``env_tz`` keys the answer to $TZ)."""
    name = local_zone_name() if tz is None else tz
    try:
        ZoneInfo(name)
        return name
    except (ValueError, OSError, KeyError):
        pass
    try:  # fixed offsets such as "+05:30" and "UTC"
        pd.Timestamp(0).tz_localize(name)
        return name
    except Exception:  # noqa: BLE001 - pandas raises several types for a bad zone
        raise UsageError(f"unknown time zone {tz!r}; pass an IANA name such as America/Chicago or Europe/Paris")


def local_zone_name() -> str:
    """This machine's zone as an IANA name (TZ, /etc/localtime, /etc/timezone), else a fixed offset.

    >>> isinstance(local_zone_name(), str)
    True
    """
    candidates = [os.environ.get("TZ", "").lstrip(":")]
    target = os.path.realpath("/etc/localtime")
    if "zoneinfo/" in target:
        candidates.append(target.split("zoneinfo/", 1)[1])
    try:
        candidates.append(Path("/etc/timezone").read_text().strip())
    except OSError:
        pass
    for name in candidates:
        if name:
            try:
                ZoneInfo(name)
                return name
            except (ValueError, OSError, KeyError):
                continue
    offset = datetime.now().astimezone().utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset else 0
    log.warning("cannot tell this machine's time zone by name; using the fixed offset %+d min", minutes)
    return "UTC" if minutes == 0 else f"{'+' if minutes > 0 else '-'}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def year_from_name(path: str | os.PathLike) -> int | None:
    """Year of a rotation date in a file name (logrotate ``dateext``, ``postfix logrotate``).

    >>> year_from_name("/var/log/maillog-20130822.gz"), year_from_name("mail.log.2013-08-22"), year_from_name("maillog.1")
    (2013, 2013, None)
    """
    found = list(_ROTATED.finditer(Path(path).name))
    return int(found[-1].group(1)) if found else None


def format_ts(ts, tz: str | None = None) -> str | None:
    """ISO 8601 with offset in ``tz`` (None: this machine's zone); None for a missing time.

    Seconds precision unless the time has a fraction (then milli- or microseconds).

    >>> format_ts(pd.Timestamp("2013-08-22 14:14:05", tz="UTC"), "America/Chicago")
    '2013-08-22T09:14:05-05:00'
    """
    if ts is None or pd.isna(ts):
        return None
    t = pd.Timestamp(ts)
    if t.tzinfo is None:
        t = t.tz_localize("UTC")
    t = t.tz_convert(_zone(tz))
    if t.microsecond == 0:
        spec = "seconds"
    elif t.microsecond % 1000 == 0:
        spec = "milliseconds"
    else:
        spec = "microseconds"
    return t.isoformat(timespec=spec)
