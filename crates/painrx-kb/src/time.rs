//! Calendar dates and clock times, the only place painrx parses either: [`Date`] (`YYYY-MM-DD`,
//! a real day of the calendar, years 1900–2200) and [`ClockTime`] (`HH:MM`, 00:00–23:59), over
//! chrono. Both can only be built valid; on the wire (JSON, forms, CSV, the database) they are
//! those strings, so `serde` reads them with the same parser as `FromStr` (and clap's
//! `value_parser`).
//!
//! They live in painrx-kb, the lowest crate, because the content's `last_modified` is a date
//! too; `painrx_engine::time` is the same module.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate, NaiveTime, Timelike};
use serde::{de, Deserialize, Deserializer, Serialize, Serializer};

/// The number written in `text[range]` if those bytes are all ASCII digits (no sign, no space).
fn digits(text: &str, range: std::ops::Range<usize>) -> Option<u32> {
    text.as_bytes()
        .get(range.clone())
        .filter(|b| b.iter().all(u8::is_ascii_digit))
        .and_then(|_| text.get(range))
        .and_then(|s| s.parse().ok())
}

/// A value written as its text everywhere: `Debug` and serde use `Display` and `FromStr`, so
/// logs, JSON and YAML all show `2026-03-01` and `08:30`, and reading goes through the one parser.
macro_rules! as_text {
    ($t:ty) => {
        impl fmt::Debug for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(self, f)
            }
        }

        impl Serialize for $t {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = String::deserialize(deserializer)?;
                text.parse().map_err(de::Error::custom)
            }
        }
    };
}

/// The first year a [`Date`] may fall in.
pub const FIRST_YEAR: i32 = 1900;
/// The last year a [`Date`] may fall in.
pub const LAST_YEAR: i32 = 2200;

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// Why a text is not a [`Date`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    /// Not `YYYY-MM-DD` at all.
    #[error("`{0}` is not a date: write it as YYYY-MM-DD")]
    Shape(String),
    /// `YYYY-MM-DD`, but no such day (31 February, month 13, day 00).
    #[error("`{text}` is not a date: {why}")]
    Calendar { text: String, why: String },
    /// A real day outside [`FIRST_YEAR`]–[`LAST_YEAR`].
    #[error("`{0}` is out of range: give a date from {FIRST_YEAR} to {LAST_YEAR}")]
    Range(String),
}

/// A day of the calendar, written `YYYY-MM-DD`; years [`FIRST_YEAR`]–[`LAST_YEAR`].
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(NaiveDate);

impl Date {
    /// The date of `year`, `month` (1–12) and `day` (1–31).
    pub fn from_ymd(year: i32, month: u32, day: u32) -> Result<Date, DateError> {
        let text = || format!("{year:04}-{month:02}-{day:02}");
        if !(FIRST_YEAR..=LAST_YEAR).contains(&year) {
            return Err(DateError::Range(text()));
        }
        if !(1..=12).contains(&month) {
            return Err(DateError::Calendar {
                text: text(),
                why: "months run from 01 to 12".into(),
            });
        }
        let Some(date) = NaiveDate::from_ymd_opt(year, month, day) else {
            let last = (28..=31)
                .rev()
                .find(|d| NaiveDate::from_ymd_opt(year, month, *d).is_some())
                .unwrap_or(28);
            let name = MONTHS
                .get(usize::try_from(month - 1).unwrap_or(0))
                .copied()
                .unwrap_or("the month");
            return Err(DateError::Calendar {
                text: text(),
                why: format!("{name} {year} has {last} days"),
            });
        };
        Date::from_naive(date)
    }

    /// A chrono date, if its year is in range.
    pub fn from_naive(date: NaiveDate) -> Result<Date, DateError> {
        if (FIRST_YEAR..=LAST_YEAR).contains(&date.year()) {
            Ok(Date(date))
        } else {
            Err(DateError::Range(date.format("%Y-%m-%d").to_string()))
        }
    }

    /// The chrono date (for formatting and calendars).
    pub fn naive(self) -> NaiveDate {
        self.0
    }

    /// Days since 1 January of year 1 (day 1): one more each day, for arithmetic on dates.
    pub fn day_number(self) -> i64 {
        i64::from(self.0.num_days_from_ce())
    }

    /// The date `days` days later (earlier if negative), if still in range.
    pub fn plus_days(self, days: i64) -> Option<Date> {
        let moved = self
            .0
            .checked_add_signed(chrono::TimeDelta::try_days(days)?)?;
        Date::from_naive(moved).ok()
    }
}

impl FromStr for Date {
    type Err = DateError;

    /// Exactly `YYYY-MM-DD` (four, two and two digits), a real day, years 1900–2200.
    fn from_str(text: &str) -> Result<Date, DateError> {
        let shape = || DateError::Shape(text.to_string());
        let bytes = text.as_bytes();
        let digits = |r: std::ops::Range<usize>| digits(text, r);
        if bytes.len() != 10 || bytes.get(4) != Some(&b'-') || bytes.get(7) != Some(&b'-') {
            return Err(shape());
        }
        let (Some(year), Some(month), Some(day)) = (digits(0..4), digits(5..7), digits(8..10))
        else {
            return Err(shape());
        };
        let year = i32::try_from(year).map_err(|_| shape())?;
        Date::from_ymd(year, month, day)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.format("%Y-%m-%d"))
    }
}

as_text!(Date);

/// Why a text is not a [`ClockTime`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a time: write it as HH:MM, 00:00–23:59")]
pub struct ClockTimeError(pub String);

/// A time of day on a 24-hour clock, written `HH:MM`, 00:00–23:59 (no seconds, no zone).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ClockTime(NaiveTime);

impl ClockTime {
    /// Midnight.
    pub const MIDNIGHT: ClockTime = ClockTime(NaiveTime::MIN);

    /// `hour`:`minute`, if a time of the clock.
    pub fn new(hour: u32, minute: u32) -> Result<ClockTime, ClockTimeError> {
        NaiveTime::from_hms_opt(hour, minute, 0)
            .map(ClockTime)
            .ok_or_else(|| ClockTimeError(format!("{hour:02}:{minute:02}")))
    }

    /// `hour`:00, the hour taken modulo 24 (so it is always a time of the clock).
    pub const fn on_the_hour(hour: u32) -> ClockTime {
        match NaiveTime::from_hms_opt(hour % 24, 0, 0) {
            Some(t) => ClockTime(t),
            None => ClockTime::MIDNIGHT,
        }
    }

    pub fn hour(self) -> u32 {
        self.0.hour()
    }

    pub fn minute(self) -> u32 {
        self.0.minute()
    }

    /// Minutes since midnight, 0–1439.
    pub fn minute_of_day(self) -> u32 {
        self.hour() * 60 + self.minute()
    }

    /// The chrono time (for calendars).
    pub fn naive(self) -> NaiveTime {
        self.0
    }

    /// The clock `minutes` later, with the number of midnights passed.
    pub fn plus_minutes(self, minutes: u32) -> DayTime {
        let total = u64::from(self.minute_of_day()) + u64::from(minutes);
        let days = u32::try_from(total / 1440).unwrap_or(u32::MAX);
        // `total % 1440` is below 1440, so always a time of the clock.
        let within = u32::try_from(total % 1440).unwrap_or(0);
        DayTime {
            days,
            time: ClockTime::new(within / 60, within % 60).unwrap_or(ClockTime::MIDNIGHT),
        }
    }
}

impl FromStr for ClockTime {
    type Err = ClockTimeError;

    /// Exactly `HH:MM` (two and two digits), 00:00–23:59.
    fn from_str(text: &str) -> Result<ClockTime, ClockTimeError> {
        let bad = || ClockTimeError(text.to_string());
        let bytes = text.as_bytes();
        let digits = |r: std::ops::Range<usize>| digits(text, r);
        if bytes.len() != 5 || bytes.get(2) != Some(&b':') {
            return Err(bad());
        }
        let (Some(hour), Some(minute)) = (digits(0..2), digits(3..5)) else {
            return Err(bad());
        };
        ClockTime::new(hour, minute).map_err(|_| bad())
    }
}

impl fmt::Display for ClockTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.hour(), self.minute())
    }
}

as_text!(ClockTime);

/// A clock time some whole days after the day something began, written `HH:MM`, or
/// `HH:MM +Nd` from the next day on (the end of an infusion that runs past midnight).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DayTime {
    /// Midnights passed since the start.
    pub days: u32,
    pub time: ClockTime,
}

impl fmt::Display for DayTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.days == 0 {
            write!(f, "{}", self.time)
        } else {
            write!(f, "{} +{}d", self.time, self.days)
        }
    }
}

impl fmt::Debug for DayTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl Serialize for DayTime {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> Result<Date, String> {
        text.parse::<Date>().map_err(|e| e.to_string())
    }

    fn time(text: &str) -> Result<ClockTime, String> {
        text.parse::<ClockTime>().map_err(|e| e.to_string())
    }

    #[test]
    fn dates_are_calendar_days_written_yyyy_mm_dd() {
        for good in [
            "2026-01-05",
            "2024-02-29",
            "2000-02-29",
            "1900-01-01",
            "2200-12-31",
        ] {
            assert_eq!(date(good).map(|d| d.to_string()), Ok(good.to_string()));
        }
        for (text, message) in [
            (
                "2026-02-31",
                "`2026-02-31` is not a date: February 2026 has 28 days",
            ),
            (
                "2026-02-29",
                "`2026-02-29` is not a date: February 2026 has 28 days",
            ),
            (
                "2100-02-29",
                "`2100-02-29` is not a date: February 2100 has 28 days",
            ),
            (
                "2024-02-30",
                "`2024-02-30` is not a date: February 2024 has 29 days",
            ),
            (
                "2026-04-31",
                "`2026-04-31` is not a date: April 2026 has 30 days",
            ),
            (
                "2026-13-01",
                "`2026-13-01` is not a date: months run from 01 to 12",
            ),
            (
                "2026-00-10",
                "`2026-00-10` is not a date: months run from 01 to 12",
            ),
            (
                "1899-12-31",
                "`1899-12-31` is out of range: give a date from 1900 to 2200",
            ),
        ] {
            assert_eq!(date(text), Err(message.to_string()), "{text}");
        }
        assert!(date("2026-01-00").is_err());
        assert!(date("2201-01-01").is_err());
        for bad in [
            "",
            "July",
            "26-1-1",
            "2026-1-05",
            "2026-01-5",
            "2026/01/05",
            " 2026-01-05",
            "2026-01-05 ",
            "+026-01-05",
            "2026-01-0x",
            "2026-01-05T10:00",
            "２０２６-01-05",
        ] {
            assert_eq!(
                date(bad),
                Err(format!("`{bad}` is not a date: write it as YYYY-MM-DD")),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn dates_count_days_and_order() {
        let (a, b) = (date("2026-02-28").unwrap(), date("2026-03-01").unwrap());
        assert_eq!(b.day_number() - a.day_number(), 1);
        let (c, d) = (date("2024-02-28").unwrap(), date("2024-03-01").unwrap());
        assert_eq!(d.day_number() - c.day_number(), 2);
        assert!(a < b && c < a);
        assert_eq!(a.plus_days(1), Some(b));
        assert_eq!(b.plus_days(-1), Some(a));
        assert_eq!(date("2200-12-31").unwrap().plus_days(1), None);
        assert_eq!(Date::from_ymd(2026, 2, 28), Ok(a));
    }

    #[test]
    fn dates_travel_as_strings() {
        let d = date("2026-01-05").unwrap();
        assert_eq!(serde_json::to_string(&d).unwrap(), "\"2026-01-05\"");
        assert_eq!(serde_json::from_str::<Date>("\"2026-01-05\"").unwrap(), d);
        let err = serde_json::from_str::<Date>("\"2026-02-31\"").unwrap_err();
        assert!(
            err.to_string().contains("February 2026 has 28 days"),
            "{err}"
        );
    }

    #[test]
    fn clock_times_are_hh_mm_from_00_00_to_23_59() {
        for good in ["00:00", "07:05", "12:30", "23:59"] {
            assert_eq!(time(good).map(|t| t.to_string()), Ok(good.to_string()));
        }
        for bad in [
            "24:00", "23:60", "7:5", "7:05", "07:5", "0705", "07:05:00", "", "noon", "-1:00",
            "07-05", " 07:05", "８:05",
        ] {
            assert_eq!(
                time(bad),
                Err(format!(
                    "`{bad}` is not a time: write it as HH:MM, 00:00–23:59"
                )),
                "{bad:?}"
            );
        }
        assert!(ClockTime::new(24, 0).is_err());
        assert_eq!(ClockTime::on_the_hour(8).to_string(), "08:00");
        assert_eq!(ClockTime::on_the_hour(24), ClockTime::MIDNIGHT);
        assert!(time("08:00").unwrap() < time("20:00").unwrap());
    }

    #[test]
    fn clock_times_run_past_midnight() {
        let start = time("23:00").unwrap();
        assert_eq!(start.plus_minutes(40).to_string(), "23:40");
        assert_eq!(start.plus_minutes(70).to_string(), "00:10 +1d");
        assert_eq!(start.plus_minutes(2 * 1440).to_string(), "23:00 +2d");
        assert_eq!(
            serde_json::to_string(&start.plus_minutes(60)).unwrap(),
            "\"00:00 +1d\""
        );
        assert_eq!(
            serde_json::to_string(&start).unwrap(),
            "\"23:00\"",
            "a clock time is its text"
        );
    }

    mod properties {
        use proptest::prelude::*;

        use super::super::*;

        proptest! {
            #[test]
            fn a_date_reads_back_what_it_writes(day in 0i64..(301 * 366)) {
                let first = Date::from_ymd(FIRST_YEAR, 1, 1).unwrap();
                if let Some(d) = first.plus_days(day) {
                    prop_assert_eq!(d.to_string().parse::<Date>(), Ok(d));
                }
            }

            #[test]
            fn a_clock_time_reads_back_what_it_writes(minute in 0u32..1440) {
                let t = ClockTime::new(minute / 60, minute % 60).unwrap();
                prop_assert_eq!(t.to_string().parse::<ClockTime>(), Ok(t));
                prop_assert_eq!(t.minute_of_day(), minute);
            }

            #[test]
            fn any_text_that_parses_as_a_date_is_written_back_unchanged(
                text in "[0-9]{4}-[0-9]{2}-[0-9]{2}|.{0,12}"
            ) {
                if let Ok(d) = text.parse::<Date>() {
                    prop_assert_eq!(d.to_string(), text);
                }
            }

            #[test]
            fn any_text_that_parses_as_a_time_is_written_back_unchanged(
                text in "[0-9]{2}:[0-9]{2}|.{0,8}"
            ) {
                if let Ok(t) = text.parse::<ClockTime>() {
                    prop_assert_eq!(t.to_string(), text);
                }
            }
        }
    }
}
