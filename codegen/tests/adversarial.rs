//! The generator fed mutated specs: random nodes replaced, keys removed,
//! references broken. Whatever the input, generation returns a value or an
//! error naming the file; it never panics (progenitor's own panics are
//! caught and turned into errors; ours must not happen at all).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use docker_engine_api_codegen::spec::SpecFile;
use docker_engine_api_codegen::{ApiVersion, generate_from_spec};
use proptest::prelude::*;
use serde_json::Value;

fn seed() -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/diff/v1.1.yaml");
    serde_yaml_ng::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Every path (as indices into objects/arrays) of a JSON document.
fn paths(v: &Value, here: Vec<PathStep>, out: &mut Vec<Vec<PathStep>>) {
    out.push(here.clone());
    match v {
        Value::Object(m) => {
            for k in m.keys() {
                let mut p = here.clone();
                p.push(PathStep::Key(k.clone()));
                paths(&m[k], p, out);
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                let mut p = here.clone();
                p.push(PathStep::Index(i));
                paths(x, p, out);
            }
        }
        _ => {}
    }
}

#[derive(Clone, Debug)]
enum PathStep {
    Key(String),
    Index(usize),
}

fn at<'a>(v: &'a mut Value, path: &[PathStep]) -> Option<&'a mut Value> {
    let mut cur = v;
    for step in path {
        cur = match step {
            PathStep::Key(k) => cur.get_mut(k.as_str())?,
            PathStep::Index(i) => cur.get_mut(*i)?,
        };
    }
    Some(cur)
}

#[derive(Clone, Debug)]
enum Mutation {
    Replace(usize, Value),
    Remove(usize),
}

fn replacement() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        Just(serde_json::json!({})),
        Just(serde_json::json!([])),
        Just(serde_json::json!("string")),
        Just(serde_json::json!(42)),
        Just(serde_json::json!(true)),
        Just(serde_json::json!({"$ref": "#/definitions/Missing"})),
        Just(serde_json::json!({"type": "array"})),
        Just(serde_json::json!({"type": "object", "additionalProperties": false})),
        Just(serde_json::json!({"allOf": [{"$ref": "#/definitions/Thing"}, {"type": "string"}]})),
        Just(serde_json::json!({"type": ["string", "null"]})),
        Just(serde_json::json!({"enum": []})),
        Just(serde_json::json!({"in": "formData", "name": "f", "type": "file"})),
    ]
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), replacement()).prop_map(|(i, v)| Mutation::Replace(i, v)),
        any::<usize>().prop_map(Mutation::Remove),
    ]
}

fn apply(doc: &mut Value, m: &Mutation) {
    let mut all = Vec::new();
    paths(doc, Vec::new(), &mut all);
    match m {
        Mutation::Replace(i, v) => {
            let path = &all[i % all.len()];
            if let Some(node) = at(doc, path) {
                *node = v.clone();
            }
        }
        Mutation::Remove(i) => {
            let path = &all[i % all.len()];
            if let Some((PathStep::Key(k), parent)) = path.split_last()
                && let Some(Value::Object(m)) = at(doc, parent)
            {
                m.remove(k);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn mutated_specs_never_panic(mutations in prop::collection::vec(mutation(), 1..4)) {
        let mut doc = seed();
        for m in &mutations {
            apply(&mut doc, m);
        }
        let bytes = serde_yaml_ng::to_string(&doc).unwrap();
        let path = Path::new("specs/v1.99.yaml");
        let outcome = docker_engine_api_codegen::generate::with_quiet_panics(|| {
            catch_unwind(AssertUnwindSafe(|| {
                let spec = SpecFile::parse(ApiVersion::new(1, 99), path, bytes.as_bytes())?;
                generate_from_spec(&spec).map(drop)
            }))
        });
        match outcome {
            Ok(Ok(())) => {}
            Ok(Err(e)) => prop_assert!(e.to_string().contains("v1.99.yaml"), "{e}"),
            Err(_) => prop_assert!(false, "generation panicked on {mutations:?}"),
        }
    }
}
