//! Every rule on its own tiny spec (`tests/fixtures/rules/<rule>.yaml`), with
//! a readable snapshot (`tests/snapshots/rules/<rule>.txt`) of what it
//! changed: the document before and after a document rule, the generated
//! code before and after a code rule, as a unified diff. The rules before it
//! run first, as in the real pipeline. A rule without a fixture, a fixture
//! without a rule, and a rule that changes nothing in its fixture all fail.
//!
//! Refresh the snapshots after a deliberate change with
//! `EXPECTORATE=overwrite cargo test -p docker-engine-api-codegen --test rules`,
//! and review the diff before committing.

use std::path::{Path, PathBuf};

use docker_engine_api_codegen::generate::{self, Interface};
use docker_engine_api_codegen::rules::{self, RuleInfo, Target};
use docker_engine_api_codegen::spec::SpecFile;
use docker_engine_api_codegen::{ApiVersion, convert, fixups, postprocess};

fn dir(sub: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(sub)
}

/// The document as YAML, keys in document order.
fn yaml(doc: &serde_json::Value) -> String {
    serde_yaml_ng::to_string(doc).unwrap()
}

fn diff(before: &str, after: &str) -> String {
    similar::TextDiff::from_lines(before, after)
        .unified_diff()
        .context_radius(3)
        .header("before", "after")
        .to_string()
}

/// What `rule` does to its fixture: the locations it reports and the diff.
fn run(rule: &RuleInfo) -> (Vec<String>, String) {
    let fixture = dir("fixtures/rules").join(format!("{}.yaml", rule.name));
    let bytes = std::fs::read(&fixture).unwrap_or_else(|e| {
        panic!(
            "rule {} has no fixture {}: {e}",
            rule.name,
            fixture.display()
        )
    });
    let spec = SpecFile::parse(ApiVersion::new(1, 99), &fixture, &bytes).unwrap();
    let facts = fixups::SwaggerFacts::from_swagger(&spec.doc);
    let mut doc = convert::swagger_to_openapi(&fixture, &spec.doc).unwrap();
    for fixup in fixups::RULES {
        if rule.target == Target::Document && fixup.name == rule.name {
            let before = yaml(&doc);
            let touched = (fixup.apply)(&mut doc, &facts);
            return (touched, diff(&before, &yaml(&doc)));
        }
        (fixup.apply)(&mut doc, &facts);
    }
    let mut file = generate::generate(&fixture, &doc, Interface::Builder)
        .unwrap_or_else(|e| panic!("{}: {e}", rule.name))
        .file;
    let input = postprocess::Input::from_openapi(&doc);
    for code_rule in postprocess::RULES {
        if code_rule.name == rule.name {
            let before = prettyplease::unparse(&file);
            let touched = (code_rule.apply)(&mut file, &input)
                .unwrap_or_else(|e| panic!("{}: {e}", rule.name));
            return (touched, diff(&before, &prettyplease::unparse(&file)));
        }
        (code_rule.apply)(&mut file, &input).unwrap_or_else(|e| panic!("{}: {e}", code_rule.name));
    }
    unreachable!("rule {} is in neither list", rule.name)
}

#[test]
fn every_rule_changes_its_fixture_as_the_snapshot_shows() {
    for rule in rules::all() {
        let (touched, diff) = run(&rule);
        assert!(
            !touched.is_empty() && !diff.is_empty(),
            "rule {} changes nothing in its fixture",
            rule.name
        );
        let target = match rule.target {
            Target::Document => "document",
            Target::Code => "code",
        };
        let snapshot = format!(
            "rule: {} ({}, {target} rule)\nreference: {}\nfixture: tests/fixtures/rules/{}.yaml\ntouched: {}\n\n{diff}",
            rule.name,
            rule.cause,
            rule.reference,
            rule.name,
            touched.join(", "),
        );
        expectorate::assert_contents(
            dir("snapshots/rules").join(format!("{}.txt", rule.name)),
            &snapshot,
        );
    }
}

#[test]
fn every_fixture_belongs_to_a_rule() {
    let names: Vec<&str> = rules::all().iter().map(|r| r.name).collect();
    for sub in ["fixtures/rules", "snapshots/rules"] {
        for entry in std::fs::read_dir(dir(sub)).unwrap() {
            let path = entry.unwrap().path();
            let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
            assert!(
                names.contains(&stem.as_str()),
                "{} belongs to no rule",
                path.display()
            );
        }
    }
}
