//! Upstream spec bugs of the swarm objects (tasks, networks, secrets,
//! configs): places where the daemon answers something else than the swagger
//! file says, so that a client generated from the file drops fields or fails
//! to decode.
//!
//! Each rule says where the spec is wrong, what the daemon sends instead (seen
//! on this project's engines, `tests/tests/swarm.rs` checks it on every run),
//! the upstream issue or pull request when there is one, and the versions it
//! applies to (`APPLIES_TO` in the tests; a test checks that the rule changes something in
//! each of them and in no other). Each rewrites only the wrong form, so a
//! version where upstream fixed the spec is left alone.

use serde_json::{Map, Value, json};

use crate::fixups::Fixup;
use crate::rules::Cause;

const SCHEMAS: &str = "/components/schemas";

fn schema_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn refers_to(schema: &Value, names: &[&str]) -> bool {
    schema
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix("#/components/schemas/"))
        .is_some_and(|name| names.contains(&name))
}

/// Adds the component schemas `add` that the document does not have yet.
fn add_schemas(doc: &mut Value, add: Vec<(&str, Value)>, touched: &mut Vec<String>) {
    let Some(schemas) = doc.pointer_mut(SCHEMAS).and_then(Value::as_object_mut) else {
        return;
    };
    for (name, schema) in add {
        if !schemas.contains_key(name) {
            schemas.insert(name.to_owned(), schema);
            touched.push(name.to_owned());
        }
    }
}

pub(in crate::fixups) const TASK_NETWORK_IS_THE_SWARM_NETWORK: Fixup = Fixup {
    name: "task_network_is_the_swarm_network",
    cause: Cause::UpstreamBug,
    reference: "specs/v1.51.yaml, `definitions/NetworkAttachment/properties/Network` (`$ref: Network`) against the `Task` example; moby api/types/swarm/network.go, `Network`; moby/moby#53082",
    why: "`NetworkAttachment.Network` (the items of `Task.NetworksAttachments`, \
          GET /tasks and /tasks/{id}) refers to the engine's `Network` (Name, Id, \
          Created, Scope, Driver, IPAM, Containers...), but the daemon sends the \
          swarm's network object, moby's Go `swarm.Network`: ID, Version, \
          CreatedAt, UpdatedAt, Spec (Name, Labels, DriverConfiguration, \
          IPAMOptions, Scope...), DriverState, IPAMOptions; the spec's own Task \
          example shows it, and engine 28.5 sends it. Decoded as `Network`, every \
          field of it was dropped (not one name matches). The definition came \
          with moby/moby#53082, which documented NetworksAttachments; every \
          version 1.40-1.55 has it. `NetworkAttachment.Network` becomes the new \
          `SwarmNetwork`, with `SwarmNetworkSpec`, `SwarmDriver`, \
          `SwarmIPAMOptions` and `SwarmIPAMConfig`.",
    apply: |doc, _| {
        let mut touched = Vec::new();
        let Some(network) = doc
            .pointer_mut(&format!("{SCHEMAS}/NetworkAttachment/properties/Network"))
            .filter(|n| refers_to(n, &["Network"]))
        else {
            return touched;
        };
        *network = schema_ref("SwarmNetwork");
        touched.push("NetworkAttachment.Network".to_owned());
        add_schemas(doc, swarm_network_schemas(), &mut touched);
        touched
    },
};

/// moby's `swarm.Network` and what it contains, as the daemon encodes them.
fn swarm_network_schemas() -> Vec<(&'static str, Value)> {
    let text = json!({ "type": "string" });
    let flag = json!({ "type": "boolean" });
    let labels = json!({ "type": "object", "additionalProperties": { "type": "string" } });
    vec![
        (
            "SwarmNetwork",
            json!({
                "description": "A network as the swarm keeps it (moby's `swarm.Network`): what \
                                a task's `NetworksAttachments` carry.",
                "type": "object",
                "properties": {
                    "ID": text,
                    "Version": schema_ref("ObjectVersion"),
                    "CreatedAt": { "type": "string", "format": "dateTime" },
                    "UpdatedAt": { "type": "string", "format": "dateTime" },
                    "Spec": schema_ref("SwarmNetworkSpec"),
                    "DriverState": schema_ref("SwarmDriver"),
                    "IPAMOptions": schema_ref("SwarmIPAMOptions"),
                },
            }),
        ),
        (
            "SwarmNetworkSpec",
            json!({
                "description": "The user-defined part of a swarm network.",
                "type": "object",
                "properties": {
                    "Name": text,
                    "Labels": labels,
                    "DriverConfiguration": schema_ref("SwarmDriver"),
                    "IPv6Enabled": flag,
                    "Internal": flag,
                    "Attachable": flag,
                    "Ingress": flag,
                    "IPAMOptions": schema_ref("SwarmIPAMOptions"),
                    "ConfigFrom": {
                        "type": "object",
                        "properties": { "Network": text },
                    },
                    "Scope": text,
                },
            }),
        ),
        (
            "SwarmDriver",
            json!({
                "description": "A network or IPAM driver and its options.",
                "type": "object",
                "properties": {
                    "Name": text,
                    "Options": labels,
                },
            }),
        ),
        (
            "SwarmIPAMOptions",
            json!({
                "type": "object",
                "properties": {
                    "Driver": schema_ref("SwarmDriver"),
                    "Configs": { "type": "array", "items": schema_ref("SwarmIPAMConfig") },
                },
            }),
        ),
        (
            "SwarmIPAMConfig",
            json!({
                "type": "object",
                "properties": { "Subnet": text, "Range": text, "Gateway": text },
            }),
        ),
    ]
}

pub(in crate::fixups) const VERBOSE_NETWORK_INSPECT_HAS_SERVICES: Fixup = Fixup {
    name: "verbose_network_inspect_has_services",
    cause: Cause::UpstreamBug,
    reference: "moby/moby#31797; specs/v1.52.yaml, `definitions/NetworkInspect/properties/Services` (`x-go-type: ServiceInfo`); moby api/types/network/network.go, `ServiceInfo`",
    why: "GET /networks/{id}?verbose=true of a swarm-scoped network answers \
          `Services` (per service: VIP, Ports, LocalLBIndex, Tasks with Name, \
          EndpointID, EndpointIP, Info), which the spec never listed up to v1.51 \
          (moby/moby#31797, open since 2017: the verbose answer has no types in \
          the swagger file); engine 28.5 sends it. v1.52 added \
          `NetworkInspect.Services`, but its values carry only a Go type hint \
          (`x-go-type: ServiceInfo`), which leaves them untyped JSON. Up to v1.51 \
          `Network` gets `Services`, with `ServiceInfo` and `NetworkTaskInfo` \
          as v1.52 defines them; from v1.52 the values refer to `ServiceInfo`.",
    apply: |doc, _| {
        let mut touched = Vec::new();
        let Some(schemas) = doc.pointer_mut(SCHEMAS).and_then(Value::as_object_mut) else {
            return touched;
        };
        // v1.52 on: NetworkInspect.Services, values with a Go type hint only.
        if schemas.contains_key("ServiceInfo") {
            let Some(values) = schemas
                .get_mut("NetworkInspect")
                .and_then(|s| s.pointer_mut("/properties/Services/additionalProperties"))
                .filter(|v| v.get("x-go-type").is_some() && v.get("$ref").is_none())
            else {
                return touched;
            };
            *values = schema_ref("ServiceInfo");
            touched.push("NetworkInspect.Services".to_owned());
            return touched;
        }
        // Up to v1.51: the shared Network type, without Services.
        let Some(properties) = schemas
            .get_mut("Network")
            .and_then(|n| n.get_mut("properties"))
            .and_then(Value::as_object_mut)
            .filter(|p| p.contains_key("Containers") && !p.contains_key("Services"))
        else {
            return touched;
        };
        properties.insert(
            "Services".to_owned(),
            json!({
                "description": "The services using the network, by name (swarm-scoped \
                                networks, GET /networks/{id}?verbose=true only).",
                "type": "object",
                "additionalProperties": schema_ref("ServiceInfo"),
            }),
        );
        touched.push("Network.Services".to_owned());
        add_schemas(doc, service_info_schemas(), &mut touched);
        touched
    },
};

/// `ServiceInfo` and `NetworkTaskInfo` as the v1.52 spec defines them.
fn service_info_schemas() -> Vec<(&'static str, Value)> {
    let text = json!({ "type": "string" });
    vec![
        (
            "ServiceInfo",
            json!({
                "description": "A service on a network, with its tasks.",
                "type": "object",
                "properties": {
                    "VIP": text,
                    "Ports": { "type": "array", "items": text },
                    "LocalLBIndex": { "type": "integer", "format": "int" },
                    "Tasks": { "type": "array", "items": schema_ref("NetworkTaskInfo") },
                },
            }),
        ),
        (
            "NetworkTaskInfo",
            json!({
                "description": "One backend task of a service on a network.",
                "type": "object",
                "properties": {
                    "Name": text,
                    "EndpointID": text,
                    "EndpointIP": text,
                    "Info": { "type": "object", "additionalProperties": text },
                },
            }),
        ),
    ]
}

pub(in crate::fixups) const SECRET_AND_CONFIG_IDS_ARE_ID: Fixup = Fixup {
    name: "secret_and_config_ids_are_id",
    cause: Cause::UpstreamBug,
    reference: "specs/v1.51.yaml, `/secrets/create` and `/configs/create`: 201 `IDResponse`; moby api/types/swarm/secret.go, `SecretCreateResponse`; fussybeaver/bollard#261",
    why: "POST /secrets/create and POST /configs/create answer `{\"ID\": ...}` (moby's \
          Go `SecretCreateResponse` and `ConfigCreateResponse`, an untagged `ID` \
          field), while the spec gives them the `IdResponse` of container commit \
          and exec create, whose required field is `Id`: decoding fails on every \
          successful create (engine 28.5; reported for bollard in \
          fussybeaver/bollard#261). Both answers become their own schema, \
          `SecretCreateResponse` and `ConfigCreateResponse`, with a required `ID`.",
    apply: |doc, _| {
        let mut touched = Vec::new();
        let mut add = Vec::new();
        for (operation, schema) in [
            ("SecretCreate", "SecretCreateResponse"),
            ("ConfigCreate", "ConfigCreateResponse"),
        ] {
            let Some(content) = operation_mut(doc, operation)
                .and_then(|op| op.get_mut("responses"))
                .and_then(|r| r.get_mut("201"))
                .and_then(|r| r.get_mut("content"))
                .and_then(Value::as_object_mut)
            else {
                continue;
            };
            let mut changed = false;
            for media in content.values_mut() {
                if let Some(s) = media
                    .get_mut("schema")
                    .filter(|s| refers_to(s, &["IdResponse", "IDResponse"]))
                {
                    *s = schema_ref(schema);
                    changed = true;
                }
            }
            if changed {
                touched.push(format!("{operation}.response.201"));
                add.push((
                    schema,
                    json!({
                        "description": "The id of the created object.",
                        "type": "object",
                        "required": ["ID"],
                        "properties": { "ID": { "type": "string" } },
                    }),
                ));
            }
        }
        add_schemas(doc, add, &mut touched);
        touched
    },
};

/// The operation object with `operationId` `id`.
fn operation_mut<'a>(doc: &'a mut Value, id: &str) -> Option<&'a mut Map<String, Value>> {
    doc.get_mut("paths")?
        .as_object_mut()?
        .values_mut()
        .filter_map(Value::as_object_mut)
        .flat_map(|item| item.values_mut())
        .filter_map(Value::as_object_mut)
        .find(|op| op.get("operationId").and_then(Value::as_str) == Some(id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixups::SwaggerFacts;

    /// Which versions each rule of this file applies to (minor versions of 1.x,
    /// inclusive); `None` as the end: every version since, upstream has not fixed
    /// it.
    const APPLIES_TO: &[(&str, u32, Option<u32>)] = &[
        (TASK_NETWORK_IS_THE_SWARM_NETWORK.name, 40, None),
        (VERBOSE_NETWORK_INSPECT_HAS_SERVICES.name, 40, None),
        (SECRET_AND_CONFIG_IDS_ARE_ID.name, 40, None),
    ];

    fn apply(rule: &Fixup, doc: &mut Value) -> Vec<String> {
        (rule.apply)(doc, &SwaggerFacts::default())
    }

    #[test]
    fn the_task_network_becomes_the_swarm_network_once() {
        let mut doc = json!({ "components": { "schemas": {
            "Network": { "type": "object", "properties": { "Id": { "type": "string" } } },
            "ObjectVersion": { "type": "object" },
            "NetworkAttachment": { "type": "object", "properties": {
                "Network": { "$ref": "#/components/schemas/Network" },
                "Addresses": { "type": "array", "items": { "type": "string" } },
            } },
        } } });
        let touched = apply(&TASK_NETWORK_IS_THE_SWARM_NETWORK, &mut doc);
        assert_eq!(touched[0], "NetworkAttachment.Network");
        assert!(
            touched.contains(&"SwarmIPAMConfig".to_owned()),
            "{touched:?}"
        );
        let schemas = &doc["components"]["schemas"];
        assert_eq!(
            schemas["NetworkAttachment"]["properties"]["Network"]["$ref"],
            "#/components/schemas/SwarmNetwork"
        );
        let spec = &schemas["SwarmNetworkSpec"]["properties"];
        assert!(spec["DriverConfiguration"].is_object() && spec["IPAMOptions"].is_object());
        // Every reference of the new schemas resolves.
        for reference in references(schemas) {
            assert!(schemas.get(&reference).is_some(), "dangling {reference}");
        }
        // A fixed (or already rewritten) spec is left alone.
        let before = doc.clone();
        assert!(apply(&TASK_NETWORK_IS_THE_SWARM_NETWORK, &mut doc).is_empty());
        assert_eq!(doc, before);
    }

    #[test]
    fn verbose_network_services_are_added_up_to_1_51_and_typed_from_1_52() {
        let mut old = json!({ "components": { "schemas": {
            "Network": { "type": "object", "properties": { "Containers": { "type": "object" } } },
        } } });
        let touched = apply(&VERBOSE_NETWORK_INSPECT_HAS_SERVICES, &mut old);
        assert_eq!(
            touched,
            ["Network.Services", "ServiceInfo", "NetworkTaskInfo"]
        );
        let schemas = &old["components"]["schemas"];
        assert_eq!(
            schemas["Network"]["properties"]["Services"]["additionalProperties"]["$ref"],
            "#/components/schemas/ServiceInfo"
        );
        for reference in references(schemas) {
            assert!(schemas.get(&reference).is_some(), "dangling {reference}");
        }

        let mut new = json!({ "components": { "schemas": {
            "ServiceInfo": { "type": "object" },
            "NetworkInspect": { "properties": { "Services": {
                "type": "object",
                "additionalProperties": { "x-go-type": { "type": "ServiceInfo" } },
            } } },
        } } });
        let touched = apply(&VERBOSE_NETWORK_INSPECT_HAS_SERVICES, &mut new);
        assert_eq!(touched, ["NetworkInspect.Services"]);
        assert_eq!(
            new.pointer(
                "/components/schemas/NetworkInspect/properties/Services/additionalProperties"
            ),
            Some(&schema_ref("ServiceInfo"))
        );
        assert!(apply(&VERBOSE_NETWORK_INSPECT_HAS_SERVICES, &mut new).is_empty());
    }

    #[test]
    fn secret_and_config_creates_answer_id_and_the_others_keep_id_response() {
        let created = |op: &str| {
            json!({ "post": { "operationId": op, "responses": { "201": { "content": {
                "application/json": { "schema": { "$ref": "#/components/schemas/IDResponse" } },
            } } } } })
        };
        let mut doc = json!({
            "paths": {
                "/secrets/create": created("SecretCreate"),
                "/configs/create": created("ConfigCreate"),
                "/commit": created("ImageCommit"),
            },
            "components": { "schemas": { "IDResponse": { "type": "object" } } },
        });
        let touched = apply(&SECRET_AND_CONFIG_IDS_ARE_ID, &mut doc);
        assert_eq!(
            touched,
            [
                "SecretCreate.response.201",
                "ConfigCreate.response.201",
                "SecretCreateResponse",
                "ConfigCreateResponse"
            ]
        );
        let schema = |path: &str| {
            doc.pointer(&format!(
                "/paths/{path}/post/responses/201/content/application~1json/schema/$ref"
            ))
            .cloned()
        };
        assert_eq!(
            schema("~1secrets~1create"),
            Some(json!("#/components/schemas/SecretCreateResponse"))
        );
        assert_eq!(
            schema("~1commit"),
            Some(json!("#/components/schemas/IDResponse"))
        );
        assert_eq!(
            doc["components"]["schemas"]["ConfigCreateResponse"]["required"],
            json!(["ID"])
        );
    }

    /// The component names `$ref`s below `value` point to.
    fn references(value: &Value) -> Vec<String> {
        let mut found = Vec::new();
        match value {
            Value::Object(map) => {
                if let Some(name) = map
                    .get("$ref")
                    .and_then(Value::as_str)
                    .and_then(|r| r.strip_prefix("#/components/schemas/"))
                {
                    found.push(name.to_owned());
                }
                map.values().for_each(|v| found.extend(references(v)));
            }
            Value::Array(items) => items.iter().for_each(|v| found.extend(references(v))),
            _ => {}
        }
        found
    }

    /// Each rule changed something in exactly the versions [`APPLIES_TO`]
    /// names, as the committed API models record (`regen --check` keeps them
    /// current).
    #[test]
    fn each_rule_touches_every_version_it_claims_and_no_other() {
        let crates = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../crates");
        let specs = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../specs");
        let versions = crate::spec::discover(&specs).expect("the specs");
        assert!(!versions.is_empty());
        for (version, _) in versions {
            let model = crates.join(version.crate_name()).join("api-model.json");
            let text = std::fs::read_to_string(&model)
                .unwrap_or_else(|e| panic!("{}: {e}", model.display()));
            let model: Value = serde_json::from_str(&text).unwrap();
            for (rule, first, last) in APPLIES_TO {
                let touched = model["model"]["rules"][rule].as_array().map_or(0, Vec::len);
                let claimed = version.major == 1
                    && version.minor >= *first
                    && last.is_none_or(|l| version.minor <= l);
                assert_eq!(
                    touched > 0,
                    claimed,
                    "rule {rule} on v{version}: touched {touched} locations, claims {}",
                    if claimed {
                        "this version"
                    } else {
                        "not this version"
                    }
                );
            }
        }
    }
}
