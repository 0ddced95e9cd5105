"""resolve, year_from_name, format_ts: years for yearless syslog stamps, zones, DST."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest

from tracer.errors import UsageError
from tracer.timestamps import format_ts, local_zone_name, resolve, year_from_name

NY = "America/New_York"


def utc(*stamps):
    return [pd.NaT if s is None else pd.Timestamp(s, tz="UTC") for s in stamps]


# (stamps, kinds, tz, year, year_hint) -> UTC times, one file each
CASES = [
    # New Year inside one file: the hint is the year of the LAST stamp
    (["Dec 31 23:59:58", "Jan  1 00:00:03"], "bsd", "UTC", None, 2014,
     utc("2013-12-31 23:59:58", "2014-01-01 00:00:03")),
    # --year wins over the hint
    (["Dec 31 23:59:58", "Jan  1 00:00:03"], "bsd", "UTC", 2020, 2014,
     utc("2019-12-31 23:59:58", "2020-01-01 00:00:03")),
    # a late Dec line after New Year steps back, the next Jan line steps forward again
    (["Dec 31 23:59:58", "Jan  1 00:00:01", "Dec 31 23:59:59", "Jan  1 00:00:02"], "bsd", "UTC", None, 2014,
     utc("2013-12-31 23:59:58", "2014-01-01 00:00:01", "2013-12-31 23:59:59", "2014-01-01 00:00:02")),
    # two rollovers in one long file (consecutive stamps are taken to be under ~6 months apart)
    (["Nov 30 10:00:00", "Feb  1 10:00:00", "Jul  1 10:00:00", "Dec  1 10:00:00", "Jan  2 10:00:00"], "bsd", "UTC",
     None, 2015, utc("2013-11-30 10:00:00", "2014-02-01 10:00:00", "2014-07-01 10:00:00", "2014-12-01 10:00:00",
                     "2015-01-02 10:00:00")),
    # space-padded, zero-padded and unpadded days
    (["Jul  5 06:52:11", "Jul 05 06:52:12", "Jul 5 06:52:13"], "bsd", "UTC", 2015, None,
     utc("2015-07-05 06:52:11", "2015-07-05 06:52:12", "2015-07-05 06:52:13")),
    # fractions: milli, micro, nanoseconds
    (["Jul 14 12:17:01.234", "Jul 14 12:17:01.123456", "Jul 14 12:17:01.123456789"], "bsd", "UTC", 2021, None,
     utc("2021-07-14 12:17:01.234", "2021-07-14 12:17:01.123456", "2021-07-14 12:17:01.123456789")),
    # local time of the writer's zone (CDT = UTC-5)
    (["Aug 22 09:14:05"], "bsd", "America/Chicago", 2013, None, utc("2013-08-22 14:14:05")),
    # a localised month (lnav logfile_syslog_fr.0)
    (["août 19 11:08:37"], "bsd", "Europe/Paris", 2015, None, utc("2015-08-19 09:08:37")),
    # junk and a Feb 29 of a common year give NaT; they do not move the year walk
    (["Foo 12 10:00:00", "Feb 29 10:00:00", "Dec 31 10:00:00"], "bsd", "UTC", 2013, None,
     utc(None, None, "2013-12-31 10:00:00")),
    (["Feb 29 10:00:00"], "bsd", "UTC", 2012, None, utc("2012-02-29 10:00:00")),
    # Mailman 2.1 stamps carry their year, not their zone
    (["Aug 22 09:14:05 2013", "Jan 02 00:00:01 2014"], "mailman", "America/Chicago", 1999, None,
     utc("2013-08-22 14:14:05", "2014-01-02 06:00:01")),
    # RFC 3339: Z, offsets with and without colon, fraction optional, space before T-less offset (Exim)
    (["2024-08-26T01:33:38.572449+00:00", "2021-02-06T10:57:57+01:00", "2021-02-06T10:57:57+0100",
      "2021-02-06T10:57:57Z", "1995-04-12T23:20:50.52Z", "2019-10-22 03:39:17.345 +0100", "2009-02-13 23:31:30-05:00"],
     "rfc3339", NY, None, None,
     utc("2024-08-26 01:33:38.572449", "2021-02-06 09:57:57", "2021-02-06 09:57:57", "2021-02-06 10:57:57",
         "1995-04-12 23:20:50.52", "2019-10-22 02:39:17.345", "2009-02-14 04:31:30")),
    # RFC 5424 leap second (lnav sample): read as :59
    (["2016-12-31T23:59:60-04:00"], "rfc3339", "UTC", None, None, utc("2017-01-01 03:59:59")),
    # syslog-ng / Exim local ISO
    (["2019-10-22 03:39:17", "2019-10-22 03:39:17.345", "2019-10-22T03:39:18"], "local_iso", "Europe/London", None, None,
     utc("2019-10-22 02:39:17", "2019-10-22 02:39:17.345", "2019-10-22 02:39:18")),
    # journalctl short-unix, -o json, short-full
    (["1234567890.123456", "1234567890"], "epoch", NY, None, None, utc("2009-02-13 23:31:30.123456", "2009-02-13 23:31:30")),
    (["1534860261221373"], "epoch_us", NY, None, None, utc("2018-08-21 14:04:21.221373")),
    (["Fri 2009-02-13 23:31:30 UTC", "Fri 2009-02-13 18:31:30 EST", "Sat 2009-02-14 02:31:30 +03"], "short_full", NY,
     None, None, utc("2009-02-13 23:31:30", "2009-02-13 23:31:30", "2009-02-13 23:31:30")),
    # DST overlap in New York (2013-11-03 01:00-02:00 happens twice): the first pass keeps EDT,
    # lines after the clock visibly went back are EST
    (["Nov  3 00:59:59", "Nov  3 01:30:00", "Nov  3 01:59:59", "Nov  3 01:59:58", "Nov  3 01:00:01",
      "Nov  3 01:30:00", "Nov  3 02:00:00"], "bsd", NY, 2013, None,
     utc("2013-11-03 04:59:59", "2013-11-03 05:30:00", "2013-11-03 05:59:59", "2013-11-03 05:59:58",
         "2013-11-03 06:00:01", "2013-11-03 06:30:00", "2013-11-03 07:00:00")),
    # a lone ambiguous time takes the earlier offset (EDT)
    (["2013-11-03 01:30:00"], "local_iso", NY, None, None, utc("2013-11-03 05:30:00")),
    # DST gap (2013-03-10 02:00-03:00 does not exist): read with the offset before the gap, i.e. moved forward
    (["Mar 10 01:59:59", "Mar 10 02:30:00", "Mar 10 03:00:01"], "bsd", NY, 2013, None,
     utc("2013-03-10 06:59:59", "2013-03-10 07:30:00", "2013-03-10 07:00:01")),
]


@pytest.mark.parametrize("stamps,kind,tz,year,hint,expected", CASES, ids=[f"{c[1]}:{c[0][0]}" for c in CASES])
def test_resolve(stamps, kind, tz, year, hint, expected):
    got = resolve(stamps, [kind] * len(stamps), tz, year=year, year_hint=hint)
    assert str(got.dtype) == "datetime64[ns, UTC]"
    assert got.tolist() == expected


def test_mixed_kinds_keep_file_order():
    got = resolve(["Jan  1 00:00:03", "2014-01-01T00:00:04Z", "Jan  1 00:00:05"], ["bsd", "rfc3339", "bsd"], "UTC",
                  year_hint=2014)
    assert got.tolist() == utc("2014-01-01 00:00:03", "2014-01-01 00:00:04", "2014-01-01 00:00:05")


def test_no_year_at_all_means_this_year_for_january():
    got = resolve(["Jan  1 00:00:00"], ["bsd"], "UTC")
    assert got.tolist() == utc(f"{datetime.now().year}-01-01 00:00:00")


def test_tz_none_is_the_machine_zone():
    stamps, kinds = ["2013-08-22 09:14:05"], ["local_iso"]
    assert resolve(stamps, kinds, None).tolist() == resolve(stamps, kinds, local_zone_name()).tolist()


def test_empty():
    got = resolve([], [], "UTC")
    assert str(got.dtype) == "datetime64[ns, UTC]" and len(got) == 0


def test_bad_zone_is_a_usage_error():
    with pytest.raises(UsageError) as err:
        resolve(["Jan  1 00:00:00"], ["bsd"], "Mars/Olympus")
    assert str(err.value) == ("unknown time zone 'Mars/Olympus'; pass an IANA name such as America/Chicago "
                              "or Europe/Paris")


def test_unknown_kind_and_length_mismatch_are_bugs():
    with pytest.raises(ValueError, match="unknown time stamp kind 'tai64n'"):
        resolve(["@4000000037c219bf2ef02e94"], ["tai64n"], "UTC")
    with pytest.raises(ValueError, match="1 stamps but 2 kinds"):
        resolve(["Jan  1 00:00:00"], ["bsd", "bsd"], "UTC")


def test_many_stamps_take_the_numpy_path_and_agree_with_pandas():
    stamps = [f"{m} {d:2d} {h:02d}:{d:02d}:{h:02d}" for m in ("Nov", "Dec", "Jan") for d in range(1, 29) for h in (0, 13, 23)]
    got = resolve(stamps, ["bsd"] * len(stamps), "UTC", year=2014)
    years = [2013 if s[:3] in ("Nov", "Dec") else 2014 for s in stamps]
    want = [pd.Timestamp(datetime.strptime(f"{y} {s}", "%Y %b %d %H:%M:%S"), tz="UTC") for y, s in zip(years, stamps)]
    assert got.tolist() == want


NAMES = [
    ("/var/log/maillog-20130822", 2013),
    ("maillog-20130822.gz", 2013),
    ("mail.log.2013-08-22", 2013),
    ("lists-fe/mail.log-2019.12.31.bz2", 2019),
    ("postfix.log.20240101-120000.gz", 2024),  # postfix logrotate, maillog_file_rotate_suffix (ref 1.6)
    ("maillog.1", None),
    ("maillog-20131322", None),  # month 13
    ("vette", None),
]


@pytest.mark.parametrize("path,year", NAMES)
def test_year_from_name(path, year):
    assert year_from_name(path) == year


FORMATS = [
    (pd.Timestamp("2013-08-22 14:14:05", tz="UTC"), "America/Chicago", "2013-08-22T09:14:05-05:00"),
    (pd.Timestamp("2013-08-22 14:14:05.25", tz="UTC"), "UTC", "2013-08-22T14:14:05.250+00:00"),
    (pd.Timestamp("2013-08-22 14:14:05.000123", tz="UTC"), "Asia/Kolkata", "2013-08-22T19:44:05.000123+05:30"),
    (pd.Timestamp("2013-08-22 14:14:05"), "UTC", "2013-08-22T14:14:05+00:00"),  # naive means UTC
    (pd.NaT, "UTC", None),
    (None, "UTC", None),
]


@pytest.mark.parametrize("ts,tz,text", FORMATS)
def test_format_ts(ts, tz, text):
    assert format_ts(ts, tz) == text


def test_format_ts_default_zone_is_the_machine_zone():
    ts = pd.Timestamp("2013-08-22 14:14:05", tz="UTC")
    assert format_ts(ts) == format_ts(ts, local_zone_name())


def test_bsd_stamps_read_from_arrow_bytes_equal_the_string_path():
    """The fixed-width fast path (Arrow bytes, no Python strings) must resolve exactly as the object path."""
    stamps = ["Dec 31 23:59:58", "Jan  1 00:00:03", "Feb 29 12:00:00", "Mar 07 06:05:04", "Xyz 01 00:00:00",
              "Jul  5 24:00:00"]
    as_arrow = pd.Series(stamps, dtype=pd.StringDtype("pyarrow"))
    as_object = pd.Series(stamps, dtype=object)
    fast = resolve(as_arrow, ["bsd"] * len(stamps), "Europe/Berlin", year_hint=2016)
    slow = resolve(as_object, ["bsd"] * len(stamps), "Europe/Berlin", year_hint=2016)
    assert fast.equals(slow)
    assert fast.iloc[:4].notna().all() and fast.iloc[4:].isna().all()
