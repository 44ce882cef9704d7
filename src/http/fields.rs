//! `fields=`: the fields of each item a list answers, for a page that shows only a few of them
//! (a mobile list of titles, a province portal's index). The item's key ([`KEYS`]: `id`, or for
//! items without one `slug`, `tracking_code` or `version`) is always kept; a name the item does
//! not have is a 400 naming it.

use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::params::bad_parameter;
use crate::error::ApiError;

/// The names that identify an item, in order of preference: the first one an item has is kept.
pub const KEYS: [&str; 4] = ["id", "slug", "tracking_code", "version"];

/// The fields asked for, checked against the item type's documented properties.
#[derive(Debug, Clone, Default)]
pub struct Fields(Option<Vec<String>>);

impl Fields {
    /// Reads `fields` for items of type `T`: every name must be one of its properties.
    pub fn parse<T: ToSchema>(fields: Option<&str>) -> Result<Self, ApiError> {
        let Some(fields) = fields else { return Ok(Self(None)) };
        let known = property_names::<T>();
        let mut selected: Vec<String> =
            KEYS.iter().find(|key| known.iter().any(|k| k == *key)).map(|key| (*key).to_owned()).into_iter().collect();
        for name in fields.split(',').map(str::trim).filter(|f| !f.is_empty()) {
            if !known.iter().any(|k| k == name) {
                return Err(bad_parameter(
                    "fields",
                    "invalid_value",
                    format!("`{name}` is not a field of {}; it has {}", T::name(), known.join(", ")),
                ));
            }
            if !selected.iter().any(|s| s == name) {
                selected.push(name.to_owned());
            }
        }
        Ok(Self(Some(selected)))
    }

    /// The items as they are, or each with only the fields asked for.
    pub fn apply<T: Serialize>(&self, items: Vec<T>) -> Vec<Selected<T>> {
        match &self.0 {
            None => items.into_iter().map(Selected::Whole).collect(),
            Some(fields) => items
                .into_iter()
                .map(|item| match serde_json::to_value(item) {
                    Ok(Value::Object(map)) => Selected::Some(
                        map.into_iter().filter(|(k, _)| fields.iter().any(|f| f == k)).collect::<Map<_, _>>(),
                    ),
                    Ok(_) | Err(_) => Selected::Some(Map::new()),
                })
                .collect(),
        }
    }
}

/// An item of a list: whole, or with the fields `fields` asked for.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum Selected<T> {
    Whole(T),
    Some(Map<String, Value>),
}

/// The properties a type's schema documents, through `allOf` and references to other schemas.
fn property_names<T: ToSchema>() -> Vec<String> {
    let mut schemas = vec![];
    T::schemas(&mut schemas);
    let named: Map<String, Value> =
        schemas.into_iter().filter_map(|(name, schema)| Some((name, serde_json::to_value(schema).ok()?))).collect();
    let mut names = vec![];
    if let Ok(schema) = serde_json::to_value(T::schema()) {
        collect(&schema, &named, &mut names, 0);
    }
    names.sort();
    names.dedup();
    names
}

fn collect(schema: &Value, named: &Map<String, Value>, names: &mut Vec<String>, depth: usize) {
    if depth > 8 {
        return;
    }
    if let Some(properties) = schema["properties"].as_object() {
        names.extend(properties.keys().cloned());
    }
    for member in ["allOf", "oneOf", "anyOf"].iter().filter_map(|k| schema[*k].as_array()).flatten() {
        collect(member, named, names, depth + 1);
    }
    let target = schema["$ref"].as_str().and_then(|r| r.strip_prefix("#/components/schemas/"));
    if let Some(target) = target.and_then(|name| named.get(name)) {
        collect(target, named, names, depth + 1);
    }
}
