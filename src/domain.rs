//! The closed vocabularies of the data model. Each is stored as text (guarded by a CHECK
//! constraint in the migrations) and spoken as the same snake_case word in JSON and query strings.

use std::fmt;
use std::io::Write;
use std::str::FromStr;

use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::expression::AsExpression;
use diesel::pg::{Pg, PgValue};
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::Text;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Declares a text-backed enum with serde, OpenAPI, diesel and `FromStr`/`Display` support.
macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema,
            AsExpression, FromSqlRow,
        )]
        #[diesel(sql_type = Text)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    other => Err(format!(
                        "unknown value `{other}`, expected one of: {}",
                        [$($text),+].join(", ")
                    )),
                }
            }
        }

        impl ToSql<Text, Pg> for $name {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
                out.write_all(self.as_str().as_bytes())?;
                Ok(serialize::IsNull::No)
            }
        }

        impl FromSql<Text, Pg> for $name {
            fn from_sql(bytes: PgValue<'_>) -> deserialize::Result<Self> {
                let text = std::str::from_utf8(bytes.as_bytes())?;
                Ok(text.parse()?)
            }
        }
    };
}

text_enum! {
    /// Level of a place in the administrative tree.
    Level {
        /// 省级: province, autonomous region or municipality.
        Province => "province",
        /// 地级: prefecture-level city, prefecture, league.
        City => "city",
        /// 县级: county, district, county-level city, banner.
        County => "county",
        /// 乡级: town (镇), township (乡) or subdistrict (街道).
        Township => "township",
        /// 村级: village (村) or community (社区).
        Village => "village",
    }
}

text_enum! {
    /// Whether a number reports what happened or what is planned.
    Kind {
        /// What was achieved or measured.
        Actual => "actual",
        /// What the source sets out to achieve.
        Target => "target",
    }
}

text_enum! {
    /// How the source qualifies its number: 余/多 is `more_than`, 以上 is `at_least`, 约/近 is `approx`.
    Qualifier {
        Exact => "exact",
        MoreThan => "more_than",
        AtLeast => "at_least",
        Approx => "approx",
        LessThan => "less_than",
        AtMost => "at_most",
    }
}

text_enum! {
    /// The kind of number an indicator holds.
    ValueType {
        Count => "count",
        Money => "money",
        Area => "area",
        Percent => "percent",
        Ratio => "ratio",
        Rank => "rank",
    }
}

impl Level {
    /// The level of an NBS code of the given length, or of a local village code.
    pub fn of_code(code: &str) -> Option<Level> {
        match code.len() {
            2 => Some(Level::Province),
            4 => Some(Level::City),
            6 => Some(Level::County),
            9 => Some(Level::Township),
            12 | 13 => Some(Level::Village),
            _ => None,
        }
    }
}

/// Language of the convenience `name` fields.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Lang {
    /// Chinese (the official names).
    #[default]
    Zh,
    /// English (pinyin names).
    En,
}

impl Lang {
    pub fn pick<'a>(self, zh: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_round_trips_and_unknown_values_list_the_allowed_ones() {
        for q in Qualifier::ALL {
            assert_eq!(q.as_str().parse::<Qualifier>(), Ok(*q));
        }
        let err = "guess".parse::<Kind>().unwrap_err();
        assert!(err.contains("actual, target"), "{err}");
    }

    #[test]
    fn serde_speaks_the_same_words_as_the_database() {
        for q in Qualifier::ALL {
            assert_eq!(serde_json::to_value(q).unwrap(), q.as_str());
        }
        for l in Level::ALL {
            assert_eq!(serde_json::to_value(l).unwrap(), l.as_str());
        }
    }

    #[test]
    fn level_follows_code_length() {
        assert_eq!(Level::of_code("51"), Some(Level::Province));
        assert_eq!(Level::of_code("511903114"), Some(Level::Township));
        assert_eq!(Level::of_code("511903114L001"), Some(Level::Village));
        assert_eq!(Level::of_code("5119031"), None);
    }
}
