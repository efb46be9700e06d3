//! Reading a stored row back into the domain, the same way on both databases. A value the domain
//! would refuse (a score of 11, a date that is not one, JSON that does not parse) is a
//! [`StoreError::Database`] naming the table, row and column, never a guess.

use std::fmt::Display;
use std::str::FromStr;

use serde::de::DeserializeOwned;
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use sqlx::Row;

use crate::StoreError;

/// The column types painrx stores, read from either database's row.
pub(crate) trait Columns {
    fn int(&self, column: &str) -> Result<i64, sqlx::Error>;
    fn int_opt(&self, column: &str) -> Result<Option<i64>, sqlx::Error>;
    fn real_opt(&self, column: &str) -> Result<Option<f64>, sqlx::Error>;
    fn text(&self, column: &str) -> Result<String, sqlx::Error>;
    fn text_opt(&self, column: &str) -> Result<Option<String>, sqlx::Error>;
    fn flag(&self, column: &str) -> Result<bool, sqlx::Error>;
}

macro_rules! columns {
    ($($row:ty),*) => {$(
        impl Columns for $row {
            fn int(&self, column: &str) -> Result<i64, sqlx::Error> {
                self.try_get(column)
            }
            fn int_opt(&self, column: &str) -> Result<Option<i64>, sqlx::Error> {
                self.try_get(column)
            }
            fn real_opt(&self, column: &str) -> Result<Option<f64>, sqlx::Error> {
                self.try_get(column)
            }
            fn text(&self, column: &str) -> Result<String, sqlx::Error> {
                self.try_get(column)
            }
            fn text_opt(&self, column: &str) -> Result<Option<String>, sqlx::Error> {
                self.try_get(column)
            }
            fn flag(&self, column: &str) -> Result<bool, sqlx::Error> {
                self.try_get(column)
            }
        }
    )*};
}

columns!(SqliteRow, PgRow);

/// A row of `table` whose primary key is `id`, read column by column.
pub(crate) struct Record<'a, R> {
    row: &'a R,
    table: &'static str,
    pub id: i64,
}

/// A column holding a value the domain refuses.
pub(crate) fn corrupt(table: &str, id: i64, column: &str, why: impl Display) -> StoreError {
    StoreError::Database(format!(
        "{table} row {id}: column `{column}` holds a bad value: {why}"
    ))
}

impl<'a, R: Columns> Record<'a, R> {
    /// The row, keyed by its `id` column.
    pub fn new(row: &'a R, table: &'static str) -> Result<Record<'a, R>, StoreError> {
        Ok(Record {
            id: row.int("id")?,
            row,
            table,
        })
    }

    fn corrupt(&self, column: &str, why: impl Display) -> StoreError {
        corrupt(self.table, self.id, column, why)
    }

    pub fn int(&self, column: &str) -> Result<i64, StoreError> {
        Ok(self.row.int(column)?)
    }

    pub fn int_opt(&self, column: &str) -> Result<Option<i64>, StoreError> {
        Ok(self.row.int_opt(column)?)
    }

    pub fn real_opt(&self, column: &str) -> Result<Option<f64>, StoreError> {
        Ok(self.row.real_opt(column)?)
    }

    pub fn text(&self, column: &str) -> Result<String, StoreError> {
        Ok(self.row.text(column)?)
    }

    pub fn text_opt(&self, column: &str) -> Result<Option<String>, StoreError> {
        Ok(self.row.text_opt(column)?)
    }

    pub fn flag(&self, column: &str) -> Result<bool, StoreError> {
        Ok(self.row.flag(column)?)
    }

    /// A stored small number (score, count) back to `u8`, at most `max`.
    pub fn small(&self, column: &str, max: u8) -> Result<u8, StoreError> {
        let value = self.int(column)?;
        self.in_range(column, value, max)
    }

    /// As [`Record::small`], for a column that may be empty.
    pub fn small_opt(&self, column: &str, max: u8) -> Result<Option<u8>, StoreError> {
        self.int_opt(column)?
            .map(|value| self.in_range(column, value, max))
            .transpose()
    }

    fn in_range(&self, column: &str, value: i64, max: u8) -> Result<u8, StoreError> {
        u8::try_from(value)
            .ok()
            .filter(|v| *v <= max)
            .ok_or_else(|| self.corrupt(column, value))
    }

    /// A stored non-negative count of minutes.
    pub fn minutes(&self, column: &str) -> Result<u32, StoreError> {
        let value = self.int(column)?;
        u32::try_from(value).map_err(|_| self.corrupt(column, value))
    }

    /// A JSON column (lists, plans) read back into its type.
    pub fn json<T: DeserializeOwned>(&self, column: &str) -> Result<T, StoreError> {
        serde_json::from_str(&self.text(column)?).map_err(|e| self.corrupt(column, e))
    }

    /// A text column read back with its one parser (dates, times, vocabulary words).
    pub fn parsed<T>(&self, column: &str) -> Result<T, StoreError>
    where
        T: FromStr,
        T::Err: Display,
    {
        self.text(column)?
            .parse()
            .map_err(|e| self.corrupt(column, e))
    }

    /// A vocabulary word (a role, a course kind) read back with its parser.
    pub fn word<T>(&self, column: &str, parse: fn(&str) -> Option<T>) -> Result<T, StoreError> {
        let text = self.text(column)?;
        parse(&text).ok_or_else(|| self.corrupt(column, text))
    }

    /// As [`Record::parsed`], for a column that may be empty.
    pub fn parsed_opt<T>(&self, column: &str) -> Result<Option<T>, StoreError>
    where
        T: FromStr,
        T::Err: Display,
    {
        self.text_opt(column)?
            .map(|text| text.parse().map_err(|e| self.corrupt(column, e)))
            .transpose()
    }
}
