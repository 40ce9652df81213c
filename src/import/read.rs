//! Reading an import: rows of a CSV file or a JSON array, one at a time, whatever the file's
//! size; or rows already in memory (the seed's).

use std::io::{BufRead, BufReader, Read};

use actix_web::http::StatusCode;

use super::{bad, Row, OPTIONAL, REQUIRED};
use crate::error::{ApiError, FieldError};

/// Where an import's rows come from: a CSV file or a JSON array, read a row at a time, or rows
/// already in memory (the seed's).
pub enum Input {
    Csv(Box<dyn Read + Send>),
    Json(Box<dyn Read + Send>),
    Rows(Vec<Row>),
}

/// What [`Input::each`] does with a row: go on reading or stop.
type EachRow<'a> = &'a mut dyn FnMut(Row) -> Result<bool, ApiError>;

impl Input {
    /// Hands each row to `each` as it is read, until `each` says stop.
    pub fn each(self, each: EachRow) -> Result<(), ApiError> {
        match self {
            Input::Csv(read) => each_csv(read, each),
            Input::Json(read) => each_json(read, each),
            Input::Rows(rows) => {
                for row in rows {
                    if !each(row)? {
                        break;
                    }
                }
                Ok(())
            }
        }
    }
}

fn wanted(column: &str) -> bool {
    REQUIRED.contains(&column) || OPTIONAL.contains(&column)
}

/// Rows of a CSV file (UTF-8, a BOM allowed, a header row naming the columns).
fn each_csv(read: Box<dyn Read + Send>, each: EachRow) -> Result<(), ApiError> {
    let mut read = BufReader::with_capacity(64 * 1024, read);
    let start = read.fill_buf().map_err(|e| {
        bad(
            StatusCode::BAD_REQUEST,
            format!("the file cannot be read: {e}"),
        )
    })?;
    if start.starts_with(b"\xEF\xBB\xBF") {
        read.consume(3);
    }
    let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(read);
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| {
            bad(
                StatusCode::BAD_REQUEST,
                format!("the CSV header cannot be read: {e}"),
            )
        })?
        .iter()
        .map(|h| h.trim().to_owned())
        .collect();
    let missing: Vec<FieldError> = REQUIRED
        .iter()
        .filter(|c| !header.iter().any(|h| h == *c))
        .map(|c| FieldError::new(*c, format!("the file has no `{c}` column")).row(1))
        .collect();
    if !missing.is_empty() {
        return Err(ApiError::body(StatusCode::UNPROCESSABLE_ENTITY, missing));
    }
    let mut record = csv::StringRecord::new();
    let mut number = 1;
    loop {
        number += 1;
        let more = reader.read_record(&mut record).map_err(|e| {
            ApiError::body(
                StatusCode::BAD_REQUEST,
                vec![FieldError::new("", format!("row {number} cannot be read: {e}")).row(number)],
            )
        })?;
        if !more {
            return Ok(());
        }
        let fields = header
            .iter()
            .zip(record.iter())
            .filter(|(h, _)| wanted(h))
            .map(|(h, v)| (h.clone(), v.to_owned()))
            .collect();
        if !each(Row { number, fields })? {
            return Ok(());
        }
    }
}

/// Rows of a JSON array of objects with the same fields (numbers may be JSON numbers), read one
/// element at a time.
fn each_json(read: Box<dyn Read + Send>, each: EachRow) -> Result<(), ApiError> {
    use serde::de::{Deserializer as _, Error as _, SeqAccess, Visitor};

    struct Elements<'a, 'b> {
        each: &'a mut EachRow<'b>,
        failed: &'a mut Option<ApiError>,
    }
    impl<'de> Visitor<'de> for Elements<'_, '_> {
        type Value = ();
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a JSON array of objects")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            let mut number = 0;
            while let Some(item) =
                seq.next_element::<serde_json::Map<String, serde_json::Value>>()?
            {
                number += 1;
                let fields = item
                    .into_iter()
                    .filter(|(k, _)| wanted(k))
                    .filter_map(|(k, v)| match v {
                        serde_json::Value::String(s) => Some((k, s)),
                        serde_json::Value::Null => None,
                        other => Some((k, other.to_string())),
                    })
                    .collect();
                match (self.each)(Row { number, fields }) {
                    Ok(true) => {}
                    Ok(false) => return Err(A::Error::custom(STOPPED)),
                    Err(e) => {
                        *self.failed = Some(e);
                        return Err(A::Error::custom(STOPPED));
                    }
                }
            }
            Ok(())
        }
    }
    const STOPPED: &str = "stopped";

    let mut each = each;
    let mut failed = None;
    let mut json = serde_json::Deserializer::from_reader(BufReader::with_capacity(64 * 1024, read));
    let read = json
        .deserialize_seq(Elements {
            each: &mut each,
            failed: &mut failed,
        })
        .and_then(|()| json.end());
    match (read, failed) {
        (_, Some(e)) => Err(e),
        (Ok(()), None) => Ok(()),
        (Err(e), None) if e.to_string().starts_with(STOPPED) => Ok(()),
        (Err(e), None) => Err(bad(
            StatusCode::BAD_REQUEST,
            format!("the body is not a JSON array of objects: {e}"),
        )),
    }
}
