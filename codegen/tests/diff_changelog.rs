//! The diff of the committed models (`crates/*/api-model.json`) against
//! Docker's API CHANGELOG (moby `docs/api/version-history.md`): each test
//! quotes the entries it checks and asserts the specific changes the specs
//! make of them. Where the spec puts a change in another version than the
//! CHANGELOG, or leaves it out, the test says so. The last tests check what
//! the report finds that the CHANGELOG does not mention.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};

use docker_engine_api_codegen::ApiVersion;
use docker_engine_api_codegen::diff::{self, Change, ChangeKind, Report};
use docker_engine_api_codegen::model::ApiModel;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn model(version: &str) -> ApiModel {
    let v: ApiVersion = version.parse().unwrap();
    diff::read_model_file(&root().join(diff::model_path(v))).unwrap()
}

/// The report of `from` → `to` from the committed models (computed once).
fn report(from: &str, to: &str) -> &'static Report {
    static REPORTS: OnceLock<Mutex<BTreeMap<String, &'static Report>>> = OnceLock::new();
    let mut cache = REPORTS.get_or_init(Default::default).lock().unwrap();
    cache
        .entry(format!("{from}-{to}"))
        .or_insert_with(|| Box::leak(Box::new(diff::diff(&model(from), &model(to)))))
}

/// The one change of `kind` in `r` that `pred` accepts.
fn one(r: &Report, kind: ChangeKind, pred: impl Fn(&Change) -> bool) -> &Change {
    let found: Vec<&Change> = r
        .changes
        .iter()
        .filter(|c| c.kind == kind && pred(c))
        .collect();
    assert_eq!(
        found.len(),
        1,
        "v{} → v{}: expected one {kind} change, found {found:#?}",
        r.from,
        r.to
    );
    found[0]
}

fn none(r: &Report, pred: impl Fn(&Change) -> bool) {
    let found: Vec<&Change> = r.changes.iter().filter(|c| pred(c)).collect();
    assert!(found.is_empty(), "v{} → v{}: {found:#?}", r.from, r.to);
}

fn is(v: &Option<String>, s: &str) -> bool {
    v.as_deref() == Some(s)
}

fn param(c: &Change, op: &str, name: &str) -> bool {
    is(&c.operation, op) && is(&c.json_name, name)
}

fn field(c: &Change, type_path: &str, json: &str) -> bool {
    is(&c.type_path, type_path) && is(&c.json_name, json)
}

fn reaches(c: &Change, ops: &[&str]) {
    for op in ops {
        assert!(
            c.reached_by.iter().any(|r| r == op),
            "{op} not in reached_by of {c:#?}"
        );
    }
}

#[test]
fn v1_45() {
    let r = report("1.44", "1.45");

    // "`POST /containers/create` now supports `VolumeOptions.Subpath` which
    // allows a subpath of a named volume to be mounted."
    let c = one(r, ChangeKind::FieldAdded, |c| {
        field(c, "Mount.VolumeOptions", "Subpath")
    });
    assert!(!c.breaking);
    assert!(is(&c.new, "subpath: Option<String>"));
    reaches(c, &["POST /containers/create"]);

    // "`GET /images/{name}/json` no longer includes the `Container` and
    // `ContainerConfig` fields."
    for name in ["Container", "ContainerConfig"] {
        let c = one(r, ChangeKind::FieldRemoved, |c| {
            field(c, "ImageInspect", name)
        });
        assert!(c.breaking);
        assert_eq!(c.reached_by, ["GET /images/{name}/json"]);
    }
}

#[test]
fn v1_46() {
    let r = report("1.45", "1.46");

    // "`GET /info` now includes a `Containerd` field containing information
    // about the location of the containerd API socket and containerd
    // namespaces used by the daemon to run containers and plugins."
    let c = one(r, ChangeKind::FieldAdded, |c| {
        field(c, "SystemInfo", "Containerd")
    });
    assert!(is(&c.new, "containerd: Option<ContainerdInfo>"));
    assert_eq!(c.reached_by, ["GET /info"]);
    one(r, ChangeKind::TypeAdded, |c| {
        is(&c.rust_path, "types::ContainerdInfo")
    });

    // "`GET /containers/json` now returns the annotations of containers."
    // (An inline object: reported at its full path.)
    let c = one(r, ChangeKind::FieldAdded, |c| {
        field(c, "ContainerSummary.HostConfig", "Annotations")
    });
    assert!(is(
        &c.rust_path,
        "types::ContainerSummaryHostConfig::annotations"
    ));
    reaches(c, &["GET /containers/json"]);

    // "`POST /images/{name}/push` now supports a `platform` parameter (JSON
    // encoded OCI Platform type) that allows selecting a specific platform
    // manifest from the multi-platform image."
    let c = one(r, ChangeKind::ParamAdded, |c| {
        param(c, "POST /images/{name}/push", "platform")
    });
    assert!(is(&c.location, "query"));
    assert!(!c.breaking);

    // "`POST /containers/create` now takes `Options` as part of
    // `HostConfig.Mounts.TmpfsOptions` to set options for tmpfs mounts."
    // "`POST /services/create` now takes `Options` as part of
    // `ContainerSpec.Mounts.TmpfsOptions`, to set options for tmpfs mounts."
    let c = one(r, ChangeKind::FieldAdded, |c| {
        field(c, "Mount.TmpfsOptions", "Options")
    });
    reaches(c, &["POST /containers/create", "POST /services/create"]);

    // "`POST /services/create` and `POST /services/{id}/update` now support
    // OomScoreAdj"
    let c = one(r, ChangeKind::FieldAdded, |c| {
        field(c, "TaskSpec.ContainerSpec", "OomScoreAdj")
    });
    reaches(c, &["POST /services/create", "POST /services/{id}/update"]);

    // "The following fields are currently included in the API response, but
    // are not part of the underlying image's Config, and deprecated:
    // `Hostname`, `Domainname`, `AttachStdin`, `AttachStdout`,
    // `AttachStderr`, `Tty`, `OpenStdin`, `StdinOnce`, `Image`,
    // `NetworkDisabled` (already omitted unless set), `MacAddress` (already
    // omitted unless set), `StopTimeout` (already omitted unless set)"
    // The spec marks all of them but `MacAddress` in v1.46 (its description
    // does not say "deprecated"); v1.50 removes all twelve (below).
    for name in [
        "Hostname",
        "Domainname",
        "AttachStdin",
        "AttachStdout",
        "AttachStderr",
        "Tty",
        "OpenStdin",
        "StdinOnce",
        "Image",
        "NetworkDisabled",
        "StopTimeout",
    ] {
        let c = one(r, ChangeKind::Deprecated, |c| field(c, "ImageConfig", name));
        assert!(!c.breaking);
        assert_eq!(c.reached_by, ["GET /images/{name}/json"]);
    }
}

#[test]
fn v1_47_and_a_v1_48_entry_in_the_v1_47_spec() {
    let r = report("1.46", "1.47");

    // "`GET /images/json` response now includes `Manifests` field, which
    // contains information about the sub-manifests included in the image
    // index. [...] The new field will only be populated if the request also
    // sets the `manifests` query parameter to `true`."
    let c = one(r, ChangeKind::ParamAdded, |c| {
        param(c, "GET /images/json", "manifests")
    });
    assert!(is(&c.new, "bool = false"));
    let c = one(r, ChangeKind::FieldAdded, |c| {
        field(c, "ImageSummary", "Manifests")
    });
    assert!(is(&c.new, "manifests: Option<Vec<ImageManifestSummary>>"));
    reaches(c, &["GET /images/json"]);

    // CHANGELOG v1.48: "`POST /networks/create` now has an `EnableIPv4`
    // field." and "`GET /networks/{id}` now returns an `EnableIPv4` field".
    // The spec has both already in v1.47, and not again in v1.48.
    let c = one(r, ChangeKind::FieldAdded, |c| {
        field(c, "NetworkCreateRequest", "EnableIPv4")
    });
    assert_eq!(c.reached_by, ["POST /networks/create"]);
    let c = one(r, ChangeKind::FieldAdded, |c| {
        field(c, "Network", "EnableIPv4")
    });
    reaches(c, &["GET /networks/{id}"]);
    none(report("1.47", "1.48"), |c| is(&c.json_name, "EnableIPv4"));
}

#[test]
fn v1_48() {
    let r = report("1.47", "1.48");

    // "`POST /build/prune` renames `keep-storage` to `reserved-space` and now
    // supports additional prune parameters `max-used-space` and
    // `min-free-space`."
    // "Deprecated: The `POST /build/prune` `keep-storage` query parameter has
    // been renamed to `reserved-space`. `keep-storage` support will be
    // removed in API v1.52."
    for name in ["reserved-space", "max-used-space", "min-free-space"] {
        let c = one(r, ChangeKind::ParamAdded, |c| {
            param(c, "POST /build/prune", name)
        });
        assert!(is(&c.new, "i64"));
    }
    let c = one(r, ChangeKind::Deprecated, |c| {
        param(c, "POST /build/prune", "keep-storage")
    });
    assert!(c.new.as_deref().unwrap().contains("reserved-space"));
    let c = one(report("1.51", "1.52"), ChangeKind::ParamRemoved, |c| {
        param(c, "POST /build/prune", "keep-storage")
    });
    assert!(c.breaking);

    // "`GET /images/{name}/history` now supports a `platform` parameter"
    // "`POST /images/{name}/load` and `GET /images/{name}/get` now support a
    // `platform` parameter" (the load endpoint is `POST /images/load`).
    for op in [
        "GET /images/{name}/history",
        "POST /images/load",
        "GET /images/{name}/get",
    ] {
        one(r, ChangeKind::ParamAdded, |c| param(c, op, "platform"));
    }

    // "`POST /containers/create` now supports `Mount` of type `image` for
    // mounting an image inside a container."
    let c = one(r, ChangeKind::EnumValueAdded, |c| {
        field(c, "MountType", "image")
    });
    assert!(!c.breaking);
    reaches(c, &["POST /containers/create"]);
    one(r, ChangeKind::FieldAdded, |c| {
        field(c, "Mount", "ImageOptions")
    });

    // "`POST /networks/{id}/connect` and `POST /containers/create` now accept
    // a `GwPriority` field in `EndpointsConfig`." and "`GET /containers/json`
    // now returns a `GwPriority` field in `NetworkSettings` for each network
    // endpoint."
    let c = one(r, ChangeKind::FieldAdded, |c| {
        field(c, "EndpointSettings", "GwPriority")
    });
    reaches(
        c,
        &[
            "POST /networks/{id}/connect",
            "POST /containers/create",
            "GET /containers/json",
        ],
    );

    // "`GET /containers/{name}/json` now returns an `ImageManifestDescriptor`
    // field" and "`GET /containers/json` now returns an
    // `ImageManifestDescriptor` field"
    for (ty, op) in [
        ("ContainerInspectResponse", "GET /containers/{id}/json"),
        ("ContainerSummary", "GET /containers/json"),
    ] {
        let c = one(r, ChangeKind::FieldAdded, |c| {
            field(c, ty, "ImageManifestDescriptor")
        });
        reaches(c, &[op]);
    }

    // "`GET /images/json` and `GET /images/{name}/json` responses now include
    // `Descriptor` field" and "`GET /images/{name}/json` response now will
    // return the `Manifests` field"
    one(r, ChangeKind::FieldAdded, |c| {
        field(c, "ImageSummary", "Descriptor")
    });
    one(r, ChangeKind::FieldAdded, |c| {
        field(c, "ImageInspect", "Descriptor")
    });
    one(r, ChangeKind::FieldAdded, |c| {
        field(c, "ImageInspect", "Manifests")
    });

    // "Deprecated: The "error" and "progress" fields in streaming responses
    // for endpoints that return a JSON progress response, such as `POST
    // /images/create`, `POST /images/{name}/push`, and `POST /build` are
    // deprecated."
    for ty in ["CreateImageInfo", "PushImageInfo", "BuildInfo"] {
        for name in ["error", "progress"] {
            one(r, ChangeKind::Deprecated, |c| field(c, ty, name));
        }
    }
    // "Deprecated: The `ContainerdCommit.Expected`, `RuncCommit.Expected`,
    // and `InitCommit.Expected` fields in the `GET /info` endpoint are
    // deprecated and will be omitted in API v1.49." (one type, `Commit`)
    let c = one(r, ChangeKind::Deprecated, |c| {
        field(c, "Commit", "Expected")
    });
    assert_eq!(c.reached_by, ["GET /info"]);
    // "Deprecated: The `BridgeNfIptables` and `BridgeNfIp6tables` fields in
    // the `GET /info` response are now always be `false` and will be omitted
    // in API v1.49." (the spec removes them in v1.50, below)
    for name in ["BridgeNfIptables", "BridgeNfIp6tables"] {
        one(r, ChangeKind::Deprecated, |c| field(c, "SystemInfo", name));
    }
}

#[test]
fn v1_49() {
    let r = report("1.48", "1.49");

    // "`GET /images/{name}/json` now supports a `platform` parameter (JSON
    // encoded OCI Platform type) allowing to specify a platform of the
    // multi-platform image to inspect."
    one(r, ChangeKind::ParamAdded, |c| {
        param(c, "GET /images/{name}/json", "platform")
    });

    // "`GET /info` now returns a `FirewallBackend` containing information
    // about the daemon's firewalling configuration."
    let c = one(r, ChangeKind::FieldAdded, |c| {
        field(c, "SystemInfo", "FirewallBackend")
    });
    assert!(is(&c.new, "firewall_backend: Option<FirewallInfo>"));

    // "Deprecated: The `AllowNondistributableArtifactsCIDRs` and
    // `AllowNondistributableArtifactsHostnames` fields in the
    // `RegistryConfig` struct in the `GET /info` response are omitted in API
    // v1.49."
    for name in [
        "AllowNondistributableArtifactsCIDRs",
        "AllowNondistributableArtifactsHostnames",
    ] {
        let c = one(r, ChangeKind::FieldRemoved, |c| {
            field(c, "RegistryServiceConfig", name)
        });
        assert!(c.breaking);
        assert_eq!(c.reached_by, ["GET /info"]);
    }

    // "Deprecated: The `ContainerdCommit.Expected`, `RuncCommit.Expected`,
    // and `InitCommit.Expected` fields in the `GET /info` endpoint were
    // deprecated in API v1.48, and are now omitted in API v1.49."
    one(r, ChangeKind::FieldRemoved, |c| {
        field(c, "Commit", "Expected")
    });
}

#[test]
fn v1_50() {
    let r = report("1.49", "1.50");

    // "`GET /info` now includes a `DiscoveredDevices` field. This is an array
    // of `DeviceInfo` objects"
    let c = one(r, ChangeKind::FieldAdded, |c| {
        field(c, "SystemInfo", "DiscoveredDevices")
    });
    assert!(is(&c.new, "discovered_devices: Option<Vec<DeviceInfo>>"));
    one(r, ChangeKind::TypeAdded, |c| {
        is(&c.rust_path, "types::DeviceInfo")
    });

    // "`DELETE /images/{name}` now supports a `platforms` query parameter. It
    // accepts an array of JSON-encoded OCI Platform objects"
    let c = one(r, ChangeKind::ParamAdded, |c| {
        param(c, "DELETE /images/{name}", "platforms")
    });
    assert!(is(&c.new, "Vec<String>"));

    // "Deprecated: The `BridgeNfIptables` and `BridgeNfIp6tables` fields in
    // the `GET /info` response were deprecated in API v1.48, and are now
    // omitted in API v1.50."
    for name in ["BridgeNfIptables", "BridgeNfIp6tables"] {
        one(r, ChangeKind::FieldRemoved, |c| {
            field(c, "SystemInfo", name)
        });
    }

    // "Deprecated: `GET /images/{name}/json` no longer returns the following
    // `Config` fields; `Hostname`, `Domainname`, `AttachStdin`,
    // `AttachStdout`, `AttachStderr` `Tty`, `OpenStdin`, `StdinOnce`,
    // `Image`, `NetworkDisabled` (already omitted unless set), `MacAddress`
    // (already omitted unless set), `StopTimeout` (already omitted unless
    // set)."
    for name in [
        "Hostname",
        "Domainname",
        "AttachStdin",
        "AttachStdout",
        "AttachStderr",
        "Tty",
        "OpenStdin",
        "StdinOnce",
        "Image",
        "NetworkDisabled",
        "MacAddress",
        "StopTimeout",
    ] {
        let c = one(r, ChangeKind::FieldRemoved, |c| {
            field(c, "ImageConfig", name)
        });
        assert!(c.breaking);
    }
}

#[test]
fn v1_51() {
    let r = report("1.50", "1.51");

    // "Deprecated: The field `NetworkSettings.Bridge` returned by `GET
    // /containers/{id}/json` is deprecated and will be removed in the next
    // API version."
    let c = one(r, ChangeKind::Deprecated, |c| {
        field(c, "NetworkSettings", "Bridge")
    });
    reaches(c, &["GET /containers/{id}/json"]);

    // "Deprecated: The field `KernelMemoryTCP` as part of `POST
    // /containers/{id}/update` and returned by `GET /containers/{id}/json` is
    // deprecated" and "The field `KernelMemoryTCP` as part of `GET /info` is
    // deprecated"
    for (ty, op) in [
        ("ContainerUpdateBody", "POST /containers/{id}/update"),
        ("HostConfig", "GET /containers/{id}/json"),
        ("SystemInfo", "GET /info"),
    ] {
        let c = one(r, ChangeKind::Deprecated, |c| {
            field(c, ty, "KernelMemoryTCP")
        });
        reaches(c, &[op]);
    }

    // "Deprecated: the `Parent` and `DockerVersion` fields returned by the
    // `GET /images/{name}/json` endpoint are deprecated."
    for name in ["Parent", "DockerVersion"] {
        one(r, ChangeKind::Deprecated, |c| {
            field(c, "ImageInspect", name)
        });
    }
    // "Deprecated: the `Config.DockerVersion` field returned by the `GET
    // /plugins` and `GET /images/{name}/json` endpoints is deprecated."
    // (the spec marks the plugin one only)
    let c = one(r, ChangeKind::Deprecated, |c| {
        field(c, "Plugin.Config", "DockerVersion")
    });
    reaches(c, &["GET /plugins"]);

    // "`GET /images/json` now sets the value of `Containers` field for all
    // images to the count of containers using the image." Prose only: the
    // type does not change.
    none(r, |c| is(&c.type_path, "ImageSummary"));
}

#[test]
fn v1_52() {
    let r = report("1.51", "1.52");

    // "`GET /images/{name}/get` now accepts multiple `platform`
    // query-arguments" and "`POST /images/load` now accepts multiple
    // `platform` query-arguments"
    for op in ["GET /images/{name}/get", "POST /images/load"] {
        let c = one(r, ChangeKind::ParamChanged, |c| param(c, op, "platform"));
        assert!(c.breaking, "String → Vec<String> changes the builder");
        assert!(is(&c.old, "String"));
        assert!(is(&c.new, "Vec<String>"));
    }

    // "`GET /networks/{id}` now includes a `Status` field, providing
    // statistics about IPAM allocations for the subnets assigned to the
    // network." (The response type changed from `Network` to
    // `NetworkInspect`; the fields of the two are compared.)
    let c = one(r, ChangeKind::ResponseChanged, |c| {
        is(&c.operation, "GET /networks/{id}")
    });
    assert!(is(&c.old, "Network") && is(&c.new, "NetworkInspect"));
    let c = one(r, ChangeKind::FieldAdded, |c| {
        is(&c.operation, "GET /networks/{id}") && field(c, "NetworkInspect", "Status")
    });
    assert!(is(&c.new, "status: Option<NetworkStatus>"));

    // "`GET /containers/{id}/json`: the `NetworkSettings` no longer returns
    // the deprecated `Bridge`, `HairpinMode`, `LinkLocalIPv6Address`,
    // `LinkLocalIPv6PrefixLen`, `SecondaryIPAddresses`,
    // `SecondaryIPv6Addresses`, `EndpointID`, `Gateway`, `GlobalIPv6Address`,
    // `GlobalIPv6PrefixLen`, `IPAddress`, `IPPrefixLen`, `IPv6Gateway`, and
    // `MacAddress` fields."
    for name in [
        "Bridge",
        "HairpinMode",
        "LinkLocalIPv6Address",
        "LinkLocalIPv6PrefixLen",
        "SecondaryIPAddresses",
        "SecondaryIPv6Addresses",
        "EndpointID",
        "Gateway",
        "GlobalIPv6Address",
        "GlobalIPv6PrefixLen",
        "IPAddress",
        "IPPrefixLen",
        "IPv6Gateway",
        "MacAddress",
    ] {
        let c = one(r, ChangeKind::FieldRemoved, |c| {
            field(c, "NetworkSettings", name)
        });
        assert!(c.breaking);
        assert_eq!(c.reached_by, ["GET /containers/{id}/json"]);
    }

    // "Removed the `KernelMemoryTCP` field from the `POST
    // /containers/{id}/update` and `GET /containers/{id}/json` endpoints"
    // and "Removed the `KernelMemoryTCP` field from the `GET /info` endpoint."
    for (ty, op) in [
        ("ContainerUpdateBody", "POST /containers/{id}/update"),
        ("HostConfig", "GET /containers/{id}/json"),
        ("SystemInfo", "GET /info"),
    ] {
        let c = one(r, ChangeKind::FieldRemoved, |c| {
            field(c, ty, "KernelMemoryTCP")
        });
        reaches(c, &[op]);
    }

    // "`GET /events` supports content-type negotiation and can produce either
    // `application/x-ndjson` (Newline delimited JSON object stream) or
    // `application/json-seq` (RFC7464)."
    let c = one(r, ChangeKind::ContentTypeChanged, |c| {
        param(c, "GET /events", "produces")
    });
    assert!(is(&c.new, "application/x-ndjson, application/json-seq"));

    // "`POST /containers/create` no longer supports configuring a
    // container-wide MAC address via the container's `Config.MacAddress`
    // field."
    let c = one(r, ChangeKind::FieldRemoved, |c| {
        field(c, "ContainerCreateBody", "MacAddress")
    });
    assert_eq!(c.reached_by, ["POST /containers/create"]);
    one(r, ChangeKind::FieldRemoved, |c| {
        field(c, "ContainerConfig", "MacAddress")
    });

    // "`GET /services` now returns `SwapBytes` and `MemorySwappiness` fields
    // as part of the `Resource` requirements." — and the same for `GET
    // /services/{id}`, `POST /services/create`, `POST /services/{id}/update`,
    // `GET /tasks`, `GET /tasks/{id}`: one type change, reached by all six.
    for name in ["SwapBytes", "MemorySwappiness"] {
        let c = one(r, ChangeKind::FieldAdded, |c| {
            field(c, "TaskSpec.Resources", name)
        });
        assert_eq!(
            c.reached_by,
            [
                "GET /services",
                "POST /services/create",
                "GET /services/{id}",
                "POST /services/{id}/update",
                "GET /tasks",
                "GET /tasks/{id}",
            ]
        );
    }

    // "`GET /containers/{id}/stats` now returns an `os_type` field"
    let c = one(r, ChangeKind::FieldAdded, |c| {
        field(c, "ContainerStatsResponse", "os_type")
    });
    assert_eq!(c.reached_by, ["GET /containers/{id}/stats"]);

    // "`GET /system/df` returns `ImagesUsage`, `ContainersUsage`,
    // `VolumesUsage`, and `BuildCacheUsage` fields [...] The endpoint
    // supports the `?verbose=1` query". The spec names them `ImageUsage`,
    // `ContainerUsage`, `VolumeUsage`.
    one(r, ChangeKind::ParamAdded, |c| {
        param(c, "GET /system/df", "verbose")
    });
    for name in [
        "ImageUsage",
        "ContainerUsage",
        "VolumeUsage",
        "BuildCacheUsage",
    ] {
        one(r, ChangeKind::FieldAdded, |c| {
            field(c, "SystemDataUsageResponse", name)
        });
    }
    // "Deprecated: `GET /system/df` response fields `LayersSize`, `Images`,
    // `Containers`, `Volumes`, and `BuildCache` have been removed [...] API
    // v1.52 returns both the legacy and current fields". The v1.52 spec
    // removes them, so the v1.52 crate does not read them.
    for name in [
        "LayersSize",
        "Images",
        "Containers",
        "Volumes",
        "BuildCache",
    ] {
        let c = one(r, ChangeKind::FieldRemoved, |c| {
            field(c, "SystemDataUsageResponse", name)
        });
        assert!(c.breaking);
    }

    // "`GET /events` no longer includes the deprecated `status`, `id`, and
    // `from` fields." The spec never listed them; the rule
    // `events_carry_status_id_from` adds them up to v1.51, so they go here.
    for name in ["status", "id", "from"] {
        let c = one(r, ChangeKind::FieldRemoved, |c| {
            field(c, "EventMessage", name)
        });
        assert!(c.breaking);
        reaches(c, &["GET /events"]);
    }
}

/// What the CHANGELOG does not mention, found in the specs.
#[test]
fn changes_the_changelog_does_not_mention() {
    // v1.47: a renamed definition.
    let c = one(report("1.46", "1.47"), ChangeKind::TypeRenamed, |c| {
        is(&c.old, "GraphDriverData")
    });
    assert!(is(&c.new, "DriverData"));
    reaches(c, &["GET /containers/{id}/json", "GET /images/{name}/json"]);

    // v1.48: stats stream items get a type; a string becomes an enum; a
    // definition becomes nullable; a new enum value.
    let r = report("1.47", "1.48");
    let c = one(r, ChangeKind::ResponseChanged, |c| {
        is(&c.operation, "GET /containers/{id}/stats")
    });
    assert!(c.new.as_deref().unwrap().contains("ContainerStatsResponse"));
    let c = one(r, ChangeKind::FieldChanged, |c| {
        field(c, "ContainerSummary", "State")
    });
    assert!(is(&c.new, "state: Option<ContainerSummaryState>"));
    let c = one(r, ChangeKind::TypeChanged, |c| {
        is(&c.type_path, "OciPlatform")
    });
    assert!(is(&c.new, "definition newtype of Option<OciPlatformInner>"));
    one(r, ChangeKind::EnumValueAdded, |c| {
        field(c, "HostConfig.LogConfig.Type", "local")
    });

    // v1.46: response fields became required.
    let r = report("1.45", "1.46");
    for name in ["Id", "Warning"] {
        let c = one(r, ChangeKind::OptionalityChanged, |c| {
            field(c, "NetworkCreateResponse", name)
        });
        assert!(c.breaking);
    }

    // v1.52: renames (one change each, nested ones included), a field made
    // required, removals, new fields, and a list response losing a field.
    let r = report("1.51", "1.52");
    for (old, new) in [
        ("Port", "PortSummary"),
        ("PortType", "PortSummaryType"),
        ("NetworkContainer", "EndpointResource"),
        ("SystemAuthResponse", "AuthResponse"),
        ("VolumeCreateOptions", "VolumeCreateRequest"),
    ] {
        let c = one(r, ChangeKind::TypeRenamed, |c| is(&c.old, old));
        assert!(is(&c.new, new), "{c:?}");
        none(r, |c| {
            c.kind == ChangeKind::TypeAdded && is(&c.rust_path, &format!("types::{new}"))
        });
    }
    let c = one(r, ChangeKind::OptionalityChanged, |c| {
        field(c, "NetworkConnectRequest", "Container")
    });
    assert!(c.breaking);
    one(r, ChangeKind::FieldRemoved, |c| {
        field(c, "AuthConfig", "email")
    });
    one(r, ChangeKind::FieldAdded, |c| {
        field(c, "ContainerSummary", "Health")
    });
    one(r, ChangeKind::FieldAdded, |c| {
        field(c, "ContainerInspectResponse", "Storage")
    });
    one(r, ChangeKind::FieldRemoved, |c| {
        is(&c.operation, "GET /networks") && field(c, "NetworkSummary", "Containers")
    });
    // Removing `ContainerConfig.MacAddress` also changes `POST /commit`,
    // whose body is a `ContainerConfig`: only the closure shows it.
    let c = one(r, ChangeKind::FieldRemoved, |c| {
        field(c, "ContainerConfig", "MacAddress")
    });
    reaches(c, &["POST /commit", "GET /containers/{id}/json"]);
}

/// `cargo xtask regen` wrote these from the same models.
#[test]
fn the_committed_changes_files_match_the_models() {
    let versions = [
        "1.44", "1.45", "1.46", "1.47", "1.48", "1.49", "1.50", "1.51", "1.52",
    ];
    for w in versions.windows(2) {
        let path = root().join(diff::changes_file_path(w[0], w[1]));
        let committed = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{}: {e} (run `cargo xtask regen`)", path.display()));
        assert_eq!(
            committed,
            diff::markdown(report(w[0], w[1])),
            "{}",
            path.display()
        );
    }
}
