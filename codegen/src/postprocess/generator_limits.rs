//! Code rules for what progenitor or typify cannot express. Delete a rule
//! when they can (it then changes nothing, which `regen` reports as an
//! error).

use syn::visit_mut::VisitMut;
use syn::{File, Item, parse_quote};

use super::policy::expect_tokens;
use super::{CodeRule, Input, impl_self_name, module_mut};
use crate::rules::Cause;

pub(super) const OPTIONAL_RAW_BODIES_START_EMPTY: CodeRule = CodeRule {
    name: "optional_raw_bodies_start_empty",
    cause: Cause::GeneratorLimit,
    why: "progenitor makes every request body required, so pulling an image \
          (ImageCreate without `fromSrc=-`) or building from a remote context would \
          need a dummy `.body(..)`. Where the spec says the raw body is optional, \
          the operation builder starts with an empty one. Reports the builders.",
    reference: "progenitor-impl 0.15.1: a builder's `body` starts as \
                `Err(\"body was not initialized\")`; specs/v1.52.yaml: `/images/create` \
                and `/build` bodies are not `required`",
    apply: optional_raw_bodies_start_empty,
};

fn optional_raw_bodies_start_empty(file: &mut File, input: &Input) -> Result<Vec<String>, String> {
    let Some(ops) = module_mut(&mut file.items, "builder") else {
        return Ok(Vec::new());
    };
    let mut touched = Vec::new();
    for item in ops.iter_mut() {
        let Item::Impl(imp) = item else { continue };
        let Some(name) = impl_self_name(imp) else {
            continue;
        };
        if imp.trait_.is_none() && input.optional_raw_bodies.contains(&name) {
            EmptyBody.visit_item_impl_mut(imp);
            touched.push(name);
        }
    }
    Ok(touched)
}

/// In an operation builder's `new`, `body: Err(..)` → an empty body.
struct EmptyBody;

impl VisitMut for EmptyBody {
    fn visit_field_value_mut(&mut self, fv: &mut syn::FieldValue) {
        if matches!(&fv.member, syn::Member::Named(i) if i == "body") {
            fv.expr = parse_quote! { Ok(::reqwest::Body::from(::std::vec::Vec::<u8>::new())) };
        }
    }
}

pub(super) const UPGRADE_BESIDE_SEND: CodeRule = CodeRule {
    name: "upgrade_beside_send",
    cause: Cause::GeneratorLimit,
    why: "progenitor can send an operation one way only, and knows no protocol \
          upgrade but Dropshot's websockets. An operation the document rules \
          recorded as able to switch protocols when asked (attach and exec start: \
          Docker's hijack) gets `upgrade()` beside `send()` on its builder, so that \
          interactive use goes through the same typed builder instead of a \
          hand-written copy of the request. The request part of `send` moves into \
          a private `request()` that both call. Reports the builders.",
    reference: "progenitor-impl 0.15.1 src/method.rs (`101` answers: websocket headers \
                only); moby api/server/router/container/exec.go and attach \
                (`Upgrade: tcp`, `101 UPGRADED`)",
    apply: upgrade_beside_send,
};

fn upgrade_beside_send(file: &mut File, input: &Input) -> Result<Vec<String>, String> {
    let Some(ops) = module_mut(&mut file.items, "builder") else {
        return Ok(Vec::new());
    };
    let mut added = Vec::new();
    for item in ops.iter_mut() {
        let Item::Impl(imp) = item else { continue };
        let Some(builder) = impl_self_name(imp) else {
            continue;
        };
        let Some(protocol) = input.upgrades.get(&builder).copied() else {
            continue;
        };
        if imp.trait_.is_some() {
            continue;
        }
        let unknown = || {
            format!(
                "the `send` of builder {builder} is not the shape \
                 one_exchange leaves (request statements, `let info = ..;`, one exchange call)"
            )
        };
        let at = imp
            .items
            .iter()
            .position(|i| matches!(i, syn::ImplItem::Fn(f) if f.sig.ident == "send"))
            .ok_or_else(unknown)?;
        let syn::ImplItem::Fn(send) = &mut imp.items[at] else {
            return Err(unknown());
        };
        let info_at = send
            .block
            .stmts
            .iter()
            .position(is_info_binding)
            .ok_or_else(unknown)?;
        if info_at + 2 != send.block.stmts.len() {
            return Err(unknown());
        }
        let mut request_stmts: Vec<syn::Stmt> = send.block.stmts.drain(..info_at).collect();
        request_stmts.push(syn::Stmt::Expr(
            parse_quote! { Ok((client, request)) },
            None,
        ));
        let info = send.block.stmts[0].clone();
        send.block
            .stmts
            .insert(0, parse_quote! { let (client, request) = self.request()?; });
        let expect = expect_tokens(Some(protocol));
        let mut doc = format!(
            " Sends the request asking the daemon to switch the connection to `{protocol}` \
             (`Connection: Upgrade`, answered `101`): the connection then carries input \
             one way and output the other."
        );
        // `send()` alone reads the output but can write no input: point to
        // the facade's hijack, which frames the output and writes stdin.
        if let Some(facade) = match builder.as_str() {
            "ContainerAttach" => Some("Docker::attach"),
            "ExecStart" => Some("Docker::exec_start"),
            _ => None,
        } {
            doc.push_str(&format!(
                " To write to stdin, use `{facade}` of the `docker-engine-client` crate, \
                 which calls this and gives the output as frames and stdin as a writer \
                 that can half-close."
            ));
        }
        let request_fn: syn::ImplItem = parse_quote! {
            /// The request `send` and `upgrade` share.
            fn request(
                self,
            ) -> Result<(&'a super::Client, ::reqwest::Request), Error<types::ErrorResponse>> {
                #(#request_stmts)*
            }
        };
        let upgrade_fn: syn::ImplItem = parse_quote! {
            #[doc = #doc]
            pub async fn upgrade(
                self,
            ) -> Result<ResponseValue<::reqwest::Upgraded>, Error<types::ErrorResponse>> {
                let (client, request) = self.request()?;
                #info
                ::docker_engine_api_runtime::read_upgrade(
                    ::docker_engine_api_runtime::exchange(client, request, &info, #expect).await?,
                )
                .await
            }
        };
        imp.items.insert(at + 1, upgrade_fn);
        imp.items.insert(at, request_fn);
        added.push(builder);
    }
    let missing: Vec<&String> = input
        .upgrades
        .keys()
        .filter(|b| !added.contains(b))
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "no builder for {missing:?}, which the rules recorded as upgradable"
        ));
    }
    Ok(added)
}

/// `let info = OperationInfo { .. };`
fn is_info_binding(stmt: &syn::Stmt) -> bool {
    let syn::Stmt::Local(local) = stmt else {
        return false;
    };
    matches!(&local.pat, syn::Pat::Ident(p) if p.ident == "info")
}

pub(super) const ACRONYMS_STAY_WORDS: CodeRule = CodeRule {
    name: "acronyms_stay_words",
    cause: Cause::GeneratorLimit,
    why: "typify names fields with heck's snake case, which splits an acronym \
          written with lowercase letters in it: `EnableIPv6` becomes \
          `enable_i_pv6`, `IPsInUse` `i_ps_in_use`, `BlkioDeviceReadIOps` \
          `blkio_device_read_i_ops`. A Rust programmer writes `enable_ipv6`, \
          `ips_in_use`, `blkio_device_read_iops`: an uppercase run followed by \
          `s`, `ps` or `v` and a digit is one word. The fields are renamed \
          (`#[serde(rename)]` keeps the JSON name), with every use in the types. \
          Reports `Type.field` of each renamed field.",
    reference: "typify 0.8.0 src/util.rs (`sanitize`, `Case::Snake` = heck's \
                `to_snake_case`); specs/v1.52.yaml: `EnableIPv6`, `GlobalIPv6Address`, \
                `IPv6Gateway`, `DeviceIDs`, `BlkioDeviceReadIOps`",
    apply: acronyms_stay_words,
};

fn acronyms_stay_words(file: &mut File, _: &Input) -> Result<Vec<String>, String> {
    let Some(types) = module_mut(&mut file.items, "types") else {
        return Ok(Vec::new());
    };
    let mut renames = std::collections::BTreeMap::new();
    let mut touched = Vec::new();
    for item in types.iter() {
        let Item::Struct(s) = item else { continue };
        let syn::Fields::Named(fields) = &s.fields else {
            continue;
        };
        let names: Vec<String> = fields
            .named
            .iter()
            .filter_map(|f| f.ident.as_ref().map(ToString::to_string))
            .collect();
        for f in &fields.named {
            let (Some(ident), Some(json)) = (&f.ident, super::serde_rename(&f.attrs)) else {
                continue;
            };
            let current = ident.to_string();
            let wanted = snake_case_keeping_acronyms(&json);
            if current == wanted || heck::ToSnakeCase::to_snake_case(json.as_str()) != current {
                continue;
            }
            if names.contains(&wanted) {
                return Err(format!(
                    "{}.{current}: the field `{wanted}` exists already",
                    s.ident
                ));
            }
            renames.insert(current.clone(), wanted);
            touched.push(format!("{}.{current}", s.ident));
        }
    }
    let mut rename = RenameIdents { renames: &renames };
    for item in types.iter_mut() {
        rename.visit_item_mut(item);
    }
    Ok(touched)
}

/// Snake case in which `IPv6`, `IDs`, `IOps`, `CAs` stay one word.
pub(super) fn snake_case_keeping_acronyms(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len());
    let mut i = 0;
    while i < chars.len() {
        let run = chars[i..]
            .iter()
            .take_while(|c| c.is_ascii_uppercase())
            .count();
        if run >= 2 {
            let after = &chars[i + run..];
            let suffix = if after.starts_with(&['p', 's']) {
                2
            } else if after.starts_with(&['s']) {
                1
            } else if after.first() == Some(&'v') && after.get(1).is_some_and(char::is_ascii_digit)
            {
                2
            } else {
                0
            };
            let ends_word = after
                .get(suffix)
                .is_none_or(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
            if suffix > 0 && ends_word {
                out.push(chars[i]);
                out.extend(
                    chars[i + 1..i + run + suffix]
                        .iter()
                        .map(char::to_ascii_lowercase),
                );
                i += run + suffix;
                continue;
            }
        }
        out.push(chars[i]);
        i += 1;
    }
    heck::ToSnakeCase::to_snake_case(out.as_str())
}

/// Renames fields and the idents made of them (the `defaults` functions).
struct RenameIdents<'a> {
    renames: &'a std::collections::BTreeMap<String, String>,
}

impl RenameIdents<'_> {
    /// `enable_i_pv6` → `enable_ipv6`, `network_enable_i_pv6` →
    /// `network_enable_ipv6`; anything else unchanged.
    fn renamed(&self, text: &str) -> Option<String> {
        let mut result = text.to_string();
        for (old, new) in self.renames {
            if result == *old {
                result = new.clone();
            } else if let Some(prefix) = result.strip_suffix(&format!("_{old}")) {
                result = format!("{prefix}_{new}");
            }
        }
        (result != text).then_some(result)
    }

    /// The paths in `#[serde(default = "defaults::network_enable_i_pv6")]`.
    fn rename_strings(&self, tokens: proc_macro2::TokenStream) -> proc_macro2::TokenStream {
        use proc_macro2::TokenTree;
        tokens
            .into_iter()
            .map(|tree| match tree {
                TokenTree::Group(g) => {
                    let mut group =
                        proc_macro2::Group::new(g.delimiter(), self.rename_strings(g.stream()));
                    group.set_span(g.span());
                    TokenTree::Group(group)
                }
                TokenTree::Literal(lit) => {
                    let Ok(text) =
                        syn::parse2::<syn::LitStr>(TokenTree::Literal(lit.clone()).into())
                    else {
                        return TokenTree::Literal(lit);
                    };
                    let value = text.value();
                    let (path, name) = value.rsplit_once("::").unwrap_or(("", value.as_str()));
                    match self.renamed(name) {
                        Some(name) if !path.is_empty() => TokenTree::Literal(
                            proc_macro2::Literal::string(&format!("{path}::{name}")),
                        ),
                        _ => TokenTree::Literal(lit),
                    }
                }
                other => other,
            })
            .collect()
    }
}

impl VisitMut for RenameIdents<'_> {
    fn visit_ident_mut(&mut self, ident: &mut proc_macro2::Ident) {
        if let Some(result) = self.renamed(&ident.to_string()) {
            *ident = proc_macro2::Ident::new(&result, ident.span());
        }
    }

    fn visit_attribute_mut(&mut self, attr: &mut syn::Attribute) {
        if let syn::Meta::List(list) = &mut attr.meta
            && list.path.is_ident("serde")
        {
            list.tokens = self.rename_strings(std::mem::take(&mut list.tokens));
        }
        syn::visit_mut::visit_attribute_mut(self, attr);
    }
}

#[cfg(test)]
mod tests {
    use super::snake_case_keeping_acronyms as snake;

    #[test]
    fn acronyms_with_lowercase_letters_stay_one_word() {
        for (json, rust) in [
            ("EnableIPv6", "enable_ipv6"),
            ("GlobalIPv6PrefixLen", "global_ipv6_prefix_len"),
            ("IPv6Gateway", "ipv6_gateway"),
            ("IPv4Address", "ipv4_address"),
            ("IPsInUse", "ips_in_use"),
            ("DeviceIDs", "device_ids"),
            ("ExternalCAs", "external_cas"),
            ("BlkioDeviceReadIOps", "blkio_device_read_iops"),
            ("IOMaximumIOps", "io_maximum_iops"),
            ("LinkLocalIPs", "link_local_ips"),
            // What heck already gets right stays.
            ("NEventsListener", "n_events_listener"),
            ("IPAMConfig", "ipam_config"),
            ("OOMKilled", "oom_killed"),
            ("HTTPServer", "http_server"),
            ("NanoCpus", "nano_cpus"),
            ("Id", "id"),
        ] {
            assert_eq!(snake(json), rust, "{json}");
        }
    }
}
