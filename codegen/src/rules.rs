//! The one frame every Docker-specific rule lives in, whether it rewrites the
//! document ([`crate::fixups`]) or the generated code
//! ([`crate::postprocess`]).
//!
//! A rule has a name, a [`Cause`] (which decides the file it lives in, so
//! that a maintainer knows which rules to delete when upstream fixes a spec or
//! progenitor learns a construct), the reason in a paragraph, the upstream
//! reference, and a function that returns what it changed. Every version's
//! API model records what each rule changed; `cargo xtask regen` prints the
//! counts (`--explain` the locations), and a rule that changes nothing in any
//! spec is an error ([`never_applied`]), so that dead rules cannot linger.

use std::collections::BTreeMap;
use std::fmt;

/// Why a rule exists, which is also when it can go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Cause {
    /// The spec is wrong or silent about what the daemon does
    /// (`upstream_bugs.rs`): delete the rule when every spec is fixed.
    UpstreamBug,
    /// progenitor, typify or the Swagger converter cannot express what the
    /// spec says (`generator_limits.rs`): delete it when they can.
    GeneratorLimit,
    /// Our own choice about the generated API (`policy.rs`).
    Policy,
}

impl Cause {
    pub fn as_str(self) -> &'static str {
        match self {
            Cause::UpstreamBug => "upstream bug",
            Cause::GeneratorLimit => "generator limit",
            Cause::Policy => "policy",
        }
    }
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a rule rewrites.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Target {
    /// The OpenAPI 3 document, before progenitor.
    Document,
    /// progenitor's output, as a syntax tree.
    Code,
}

/// One named rule; `A` is its function ([`crate::fixups::Fixup`],
/// [`crate::postprocess::CodeRule`]).
pub struct Rule<A> {
    pub name: &'static str,
    pub cause: Cause,
    /// The quirk and what the rule does about it, in a paragraph.
    pub why: &'static str,
    /// Where the quirk is documented: a moby issue or pull request, a spec
    /// location, the generator's source.
    pub reference: &'static str,
    pub apply: A,
}

/// A rule without its function, for listings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleInfo {
    pub name: &'static str,
    pub cause: Cause,
    pub target: Target,
    pub why: &'static str,
    pub reference: &'static str,
}

impl<A> Rule<A> {
    pub(crate) fn info(&self, target: Target) -> RuleInfo {
        RuleInfo {
            name: self.name,
            cause: self.cause,
            target,
            why: self.why,
            reference: self.reference,
        }
    }
}

/// Every rule, in the order they run: the document rules, then the code rules.
pub fn all() -> Vec<RuleInfo> {
    let document = crate::fixups::RULES
        .iter()
        .map(|r| r.info(Target::Document));
    let code = crate::postprocess::RULES
        .iter()
        .map(|r| r.info(Target::Code));
    document.chain(code).collect()
}

/// What the rules changed in one version: rule name → locations.
pub type Applied = BTreeMap<String, Vec<String>>;

/// The rules that changed nothing in any of `versions` (each one version's
/// record), in rule order.
pub fn never_applied<'a>(versions: impl IntoIterator<Item = &'a Applied> + Clone) -> Vec<RuleInfo> {
    all()
        .into_iter()
        .filter(|rule| {
            versions
                .clone()
                .into_iter()
                .all(|applied| applied.get(rule.name).is_none_or(Vec::is_empty))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_every_rule_says_why() {
        let rules = all();
        let mut names: Vec<&str> = rules.iter().map(|r| r.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), rules.len(), "two rules share a name");
        for r in &rules {
            assert!(r.why.len() > 40, "{}: say why", r.name);
            assert!(!r.reference.is_empty(), "{}: give a reference", r.name);
            assert!(
                r.name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                "{}: names are snake_case",
                r.name
            );
        }
    }

    #[test]
    fn a_rule_that_touches_nothing_anywhere_is_reported() {
        let first = all()[0].name;
        let touched: Applied = all()
            .iter()
            .map(|r| (r.name.to_string(), vec!["somewhere".to_string()]))
            .collect();
        assert!(never_applied([&touched]).is_empty());
        let mut partly = touched.clone();
        partly.insert(first.to_string(), Vec::new());
        assert!(
            never_applied([&partly, &touched]).is_empty(),
            "one version is enough"
        );
        let names: Vec<&str> = never_applied([&partly]).iter().map(|r| r.name).collect();
        assert_eq!(names, [first]);
    }
}
