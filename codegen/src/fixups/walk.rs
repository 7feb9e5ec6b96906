//! Iteration over operations and schemas of a JSON API document.

use serde_json::{Map, Value};

use crate::spec::HTTP_METHODS;

/// The operation objects of a Swagger 2.0 or OpenAPI 3 document.
pub(crate) fn swagger_operations(doc: &Value) -> impl Iterator<Item = &Map<String, Value>> {
    crate::spec::operations_of(doc)
        .into_iter()
        .filter_map(|op| op.op.as_object())
}

/// An operation being rewritten, with what messages need to name it.
pub(crate) struct OperationMut<'a> {
    pub id: String,
    pub op: &'a mut Map<String, Value>,
}

/// Calls `f` on every operation of an OpenAPI 3 document.
pub(crate) fn for_each_operation(doc: &mut Value, mut f: impl FnMut(&mut OperationMut<'_>)) {
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for (method, op) in item.iter_mut() {
            if !HTTP_METHODS.contains(&method.as_str()) {
                continue;
            }
            let Some(op) = op.as_object_mut() else {
                continue;
            };
            let id = op
                .get("operationId")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .unwrap_or_else(|| format!("{} {path}", method.to_uppercase()));
            f(&mut OperationMut { id, op });
        }
    }
}

/// Calls `f` on every schema object of an OpenAPI 3 document, depth first,
/// parents before children, with a readable location such as
/// `ContainerSummary.Health.Status` or `ContainerList.response.items`.
pub(crate) fn for_each_schema(doc: &mut Value, f: &mut dyn FnMut(&str, &mut Map<String, Value>)) {
    if let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        for (name, schema) in schemas.iter_mut() {
            visit(name, schema, f);
        }
    }
    for_each_operation(doc, |op| {
        let id = op.id.clone();
        if let Some(params) = op.op.get_mut("parameters").and_then(Value::as_array_mut) {
            for p in params {
                let name = p
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or("?")
                    .to_owned();
                if let Some(s) = p.get_mut("schema") {
                    visit(&format!("{id}.param.{name}"), s, f);
                }
            }
        }
        if let Some(content) = op
            .op
            .get_mut("requestBody")
            .and_then(|b| b.get_mut("content"))
            .and_then(Value::as_object_mut)
        {
            for media in content.values_mut() {
                if let Some(s) = media.get_mut("schema") {
                    visit(&format!("{id}.body"), s, f);
                }
            }
        }
        if let Some(responses) = op.op.get_mut("responses").and_then(Value::as_object_mut) {
            for (code, response) in responses.iter_mut() {
                let Some(content) = response.get_mut("content").and_then(Value::as_object_mut)
                else {
                    continue;
                };
                for media in content.values_mut() {
                    if let Some(s) = media.get_mut("schema") {
                        visit(&format!("{id}.response.{code}"), s, f);
                    }
                }
            }
        }
    });
}

fn visit(location: &str, schema: &mut Value, f: &mut dyn FnMut(&str, &mut Map<String, Value>)) {
    let Some(obj) = schema.as_object_mut() else {
        return;
    };
    f(location, obj);
    if let Some(props) = obj.get_mut("properties").and_then(Value::as_object_mut) {
        for (name, prop) in props.iter_mut() {
            visit(&format!("{location}.{name}"), prop, f);
        }
    }
    if let Some(items) = obj.get_mut("items") {
        visit(&format!("{location}[]"), items, f);
    }
    if let Some(extra) = obj.get_mut("additionalProperties") {
        visit(&format!("{location}{{}}"), extra, f);
    }
    for key in ["allOf", "oneOf", "anyOf"] {
        if let Some(list) = obj.get_mut(key).and_then(Value::as_array_mut) {
            for (i, s) in list.iter_mut().enumerate() {
                visit(&format!("{location}.{key}[{i}]"), s, f);
            }
        }
    }
    if let Some(not) = obj.get_mut("not") {
        visit(&format!("{location}.not"), not, f);
    }
}

/// The name a local `$ref` points to: `#/components/schemas/Foo` → `Foo`.
pub(crate) fn ref_name(schema: &Map<String, Value>) -> Option<&str> {
    schema
        .get("$ref")?
        .as_str()?
        .strip_prefix("#/components/schemas/")
}
