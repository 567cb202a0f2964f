//! Environment overrides of the configuration: `EIDER_<SECTION>_<KEY>` and `EIDER_<KEY>` for
//! top-level keys (`EIDER_DATA_DIR`).
//!
//! The set of variables is derived from the configuration tree itself (serialised to a TOML
//! table), so a field added to [`Config`] is overridable without touching this module. A value is
//! parsed according to the type the field has in that table: strings are taken verbatim, anything
//! else is parsed as a TOML value (`1000`, `true`, `["a", "b"]`), then the patched table is
//! deserialised again so enum and range checks still apply.
//!
//! Invariant: a variable that names no field but looks like one (its first word is a section
//! name, or it is within two edits of a real variable) is an error naming it, so a typo is never
//! silently ignored. Other `EIDER_` variables (`EIDER_CORPUS`, `EIDER_REQUIRE_ALL`, ...) belong to
//! tools and tests and are left alone.

use super::{Config, ConfigError};
use serde::Deserialize;
use std::collections::BTreeMap;
use toml::Value;

const PREFIX: &str = "EIDER_";

/// `EIDER_` variables that are not configuration keys (tools, tests, the config file path).
const NOT_CONFIG: &[&str] = &["CONFIG", "CORPUS", "REQUIRE_ALL"];

/// Where a variable points in the TOML table: `(section, key)`; `section` is `None` at top level.
type FieldPath = (Option<String>, String);

/// Applies every configuration override in `vars` to `config`.
pub(super) fn apply(
    config: &mut Config,
    vars: impl Iterator<Item = (String, String)>,
) -> Result<(), ConfigError> {
    let mut table = to_table(config)?;
    let fields = fields(&table);
    let mut unknown = Vec::new();
    let mut overrides: Vec<(String, FieldPath, String)> = Vec::new();
    for (var, raw) in vars {
        let Some(name) = var.strip_prefix(PREFIX) else {
            continue;
        };
        if NOT_CONFIG.contains(&name) {
            continue;
        }
        match fields.get(name) {
            Some(path) => overrides.push((var.clone(), path.clone(), raw)),
            None if looks_like_config(name, &fields) => unknown.push(var),
            None => {}
        }
    }
    if !unknown.is_empty() {
        unknown.sort();
        return Err(ConfigError::UnknownEnv(unknown));
    }
    // Sorted so the outcome does not depend on the order the OS lists variables in.
    overrides.sort();
    for (var, path, raw) in overrides {
        let slot = slot(&mut table, &path).ok_or_else(|| env_error(&var, "no such field"))?;
        *slot = parse_like(slot, &raw).map_err(|reason| env_error(&var, &reason))?;
        // Deserialise after each override so a bad value is blamed on its own variable.
        Config::deserialize(Value::Table(table.clone()))
            .map_err(|e| env_error(&var, e.message()))?;
    }
    *config = Config::deserialize(Value::Table(table)).map_err(|e| ConfigError::Env {
        var: "EIDER_*".into(),
        reason: e.message().to_owned(),
    })?;
    Ok(())
}

/// Every overridable variable name (without the prefix), e.g. `IMAP_LISTEN`, `DATA_DIR`.
pub fn variable_names(config: &Config) -> Vec<String> {
    match to_table(config) {
        Ok(table) => fields(&table)
            .into_keys()
            .map(|k| format!("{PREFIX}{k}"))
            .collect(),
        Err(_) => Vec::new(),
    }
}

fn env_error(var: &str, reason: &str) -> ConfigError {
    ConfigError::Env {
        var: var.to_owned(),
        reason: reason.to_owned(),
    }
}

fn to_table(config: &Config) -> Result<toml::Table, ConfigError> {
    match Value::try_from(config) {
        Ok(Value::Table(t)) => Ok(t),
        Ok(_) => Err(env_error(PREFIX, "configuration is not a table")),
        Err(e) => Err(env_error(PREFIX, &e.to_string())),
    }
}

/// Maps upper-cased variable names to the field they override.
fn fields(table: &toml::Table) -> BTreeMap<String, FieldPath> {
    let mut out = BTreeMap::new();
    for (key, value) in table {
        match value {
            Value::Table(section) => {
                for field in section.keys() {
                    let name = format!("{key}_{field}").to_ascii_uppercase();
                    out.insert(name, (Some(key.clone()), field.clone()));
                }
            }
            _ => {
                out.insert(key.to_ascii_uppercase(), (None, key.clone()));
            }
        }
    }
    out
}

fn slot<'a>(table: &'a mut toml::Table, (section, key): &FieldPath) -> Option<&'a mut Value> {
    match section {
        Some(section) => table.get_mut(section)?.as_table_mut()?.get_mut(key),
        None => table.get_mut(key),
    }
}

/// Parses `raw` as a value of the same TOML type as `current`.
fn parse_like(current: &Value, raw: &str) -> Result<Value, String> {
    if current.is_str() {
        return Ok(Value::String(raw.to_owned()));
    }
    let doc: toml::Table =
        toml::from_str(&format!("v = {raw}")).map_err(|_| format!("cannot parse {raw:?}"))?;
    let value = doc.get("v").cloned().ok_or("empty value")?;
    if value.type_str() != current.type_str() {
        return Err(format!(
            "expected {}, got {raw:?}",
            article(current.type_str())
        ));
    }
    Ok(value)
}

fn article(kind: &str) -> String {
    match kind {
        "integer" | "array" => format!("an {kind}"),
        other => format!("a {other}"),
    }
}

/// True when `name` is probably a mistyped configuration variable.
fn looks_like_config(name: &str, fields: &BTreeMap<String, FieldPath>) -> bool {
    let in_section = fields
        .values()
        .filter_map(|(section, _)| section.as_deref())
        .any(|section| {
            name.strip_prefix(&section.to_ascii_uppercase())
                .is_some_and(|rest| rest.starts_with('_'))
        });
    in_section || fields.keys().any(|known| edit_distance(name, known) <= 2)
}

/// Levenshtein distance over bytes (names are ASCII).
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Backend;

    fn vars(list: &[(&str, &str)]) -> impl Iterator<Item = (String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<Vec<_>>()
            .into_iter()
    }

    #[test]
    fn overrides_by_type() {
        let mut c = Config::default();
        c.apply_env(vars(&[
            ("EIDER_IMAP_LISTEN", "0.0.0.0:143"),
            ("EIDER_LMTP_LISTEN", "unix:/run/eider/lmtp.sock"),
            ("EIDER_STORE_BACKEND", "mongodb"),
            ("EIDER_LIMITS_MAX_MESSAGE_SIZE", "1000"),
            ("EIDER_AUTH_PLAINTEXT_ANYWHERE", "true"),
            ("EIDER_DATA_DIR", "/srv/eider"),
            ("EIDER_IMAPS_LISTEN", ""),
            ("EIDER_CORPUS", "/somewhere"),
            ("EIDER_REQUIRE_ALL", "1"),
            ("PATH", "/usr/bin"),
        ]))
        .unwrap();
        assert_eq!(c.imap.listen, "0.0.0.0:143");
        assert_eq!(c.lmtp.listen, "unix:/run/eider/lmtp.sock");
        assert_eq!(c.store.backend, Backend::Mongodb);
        assert_eq!(c.limits.max_message_size, 1000);
        assert!(c.auth.plaintext_anywhere);
        assert_eq!(c.data_dir, std::path::PathBuf::from("/srv/eider"));
        assert!(!c.imaps.enabled());
        assert_eq!(c.pop3, Config::default().pop3);
    }

    #[test]
    fn bad_values_name_their_variable() {
        let cases = [
            ("EIDER_LIMITS_MAX_MESSAGE_SIZE", "big"),
            ("EIDER_LIMITS_MAX_MESSAGE_SIZE", "-1"),
            ("EIDER_AUTH_PLAINTEXT_LOOPBACK", "yes"),
            ("EIDER_STORE_BACKEND", "sqlite"),
            ("EIDER_STORE_JOURNAL_DAYS", "1.5"),
        ];
        for (var, value) in cases {
            let mut c = Config::default();
            let err = c.apply_env(vars(&[(var, value)])).unwrap_err();
            match &err {
                ConfigError::Env { var: v, .. } => assert_eq!(v, var, "{err}"),
                other => panic!("{var}={value}: unexpected {other}"),
            }
            assert_eq!(c, Config::default(), "{var}={value} must change nothing");
        }
    }

    #[test]
    fn typos_are_errors_naming_them() {
        type Case<'a> = (&'a [(&'a str, &'a str)], &'a [&'a str]);
        let cases: &[Case] = &[
            (&[("EIDER_IMAP_LISTN", "x")], &["EIDER_IMAP_LISTN"]),
            (&[("EIDER_IMAPP_LISTEN", "x")], &["EIDER_IMAPP_LISTEN"]),
            (&[("EIDER_DATADIR", "x")], &["EIDER_DATADIR"]),
            (&[("EIDER_LIMITS_NOPE", "1")], &["EIDER_LIMITS_NOPE"]),
            (
                &[("EIDER_STORE_BACKND", "x"), ("EIDER_API_LISTEM", "y")],
                &["EIDER_API_LISTEM", "EIDER_STORE_BACKND"],
            ),
        ];
        for (input, names) in cases {
            let mut c = Config::default();
            match c.apply_env(vars(input)) {
                Err(ConfigError::UnknownEnv(got)) => assert_eq!(&got, names),
                other => panic!("{input:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn every_field_has_a_variable() {
        let names = variable_names(&Config::default());
        for expected in [
            "EIDER_DATA_DIR",
            "EIDER_STORE_BACKEND",
            "EIDER_MONGODB_URL",
            "EIDER_REDIS_URL",
            "EIDER_LMTP_LISTEN",
            "EIDER_POP3S_LISTEN",
            "EIDER_TLS_KEY",
            "EIDER_AUTH_FAILURE_DELAY_MS",
            "EIDER_LIMITS_IMAP_CONNECTIONS_PER_USER",
        ] {
            assert!(names.iter().any(|n| n == expected), "{expected} missing");
        }
    }

    #[test]
    fn distance() {
        for (a, b, d) in [
            ("", "", 0),
            ("ABC", "ABC", 0),
            ("ABC", "AC", 1),
            ("AB", "BA", 2),
        ] {
            assert_eq!(edit_distance(a, b), d, "{a} {b}");
        }
    }
}
