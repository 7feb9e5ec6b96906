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
        // Its error is the crate's one error type, as every `send` returns
        // it (clippy only sees it here, in a function that is not async);
        // boxing it in this private function would gain nothing.
        let request_fn: syn::ImplItem = parse_quote! {
            /// The request `send` and `upgrade` share.
            #[allow(clippy::result_large_err)]
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

pub(super) const CLIPPY_CLEAN: CodeRule = CodeRule {
    name: "clippy_clean",
    cause: Cause::GeneratorLimit,
    why: "progenitor and typify write code that clippy's default lints warn \
          about, so every generated crate silenced `clippy::all`. Each rewrite is \
          the one clippy suggests, and changes no behaviour: `Self { client: client }` \
          → `Self { client }` (`redundant_field_names`); a body setter's \
          `.map(From::from)` and `send`'s `T::try_from(v)` of a body that already is \
          a `T` (identities since `lean_builders` stores the body type itself) go \
          (`useless_conversion`); an enum's hand-written `Default` that names a unit \
          variant becomes `#[derive(Default)]` with `#[default]` on it \
          (`derivable_impls`). The crates are then held to the workspace's clippy. \
          Reports each rewritten place.",
    reference: "progenitor-impl 0.15.1 builder `new` (`client: client`) and body \
                setters; typify 0.6 enum `impl Default`; clippy 1.95 \
                `redundant_field_names`, `useless_conversion`, `derivable_impls`",
    apply: clippy_clean,
};

fn clippy_clean(file: &mut File, _: &Input) -> Result<Vec<String>, String> {
    let mut touched = Vec::new();
    let mut shorthand = FieldInitShorthand::default();
    shorthand.visit_file_mut(file);
    touched.extend(shorthand.touched);
    let mut identities = BodyIdentities::default();
    if let Some(ops) = module_mut(&mut file.items, "builder") {
        for item in ops.iter_mut() {
            identities.visit_item_mut(item);
        }
    }
    touched.extend(identities.touched);
    if let Some(types) = module_mut(&mut file.items, "types") {
        touched.extend(derive_enum_defaults(types)?);
    }
    Ok(touched)
}

/// `name: name` in a struct literal → `name`.
#[derive(Default)]
struct FieldInitShorthand {
    touched: Vec<String>,
}

impl VisitMut for FieldInitShorthand {
    fn visit_expr_struct_mut(&mut self, e: &mut syn::ExprStruct) {
        for fv in e.fields.iter_mut() {
            let syn::Member::Named(member) = &fv.member else {
                continue;
            };
            let same = matches!(&fv.expr, syn::Expr::Path(p)
                if p.qself.is_none() && p.attrs.is_empty() && p.path.is_ident(member));
            if same && fv.colon_token.is_some() {
                fv.colon_token = None;
                let owner = e.path.segments.last().map(|s| s.ident.to_string());
                self.touched.push(format!(
                    "{} {{ {member} }}",
                    owner.unwrap_or_else(|| "struct".into())
                ));
            }
        }
        syn::visit_mut::visit_expr_struct_mut(self, e);
    }
}

/// In operation builders: `value.try_into().map(From::from)` →
/// `value.try_into()`, and `body.and_then(|v| types::T::try_from(v).map_err(..))`
/// → `body`.
#[derive(Default)]
struct BodyIdentities {
    touched: Vec<String>,
}

impl VisitMut for BodyIdentities {
    fn visit_expr_mut(&mut self, expr: &mut syn::Expr) {
        syn::visit_mut::visit_expr_mut(self, expr);
        let syn::Expr::MethodCall(call) = expr else {
            return;
        };
        let receiver_is = |name: &str| matches!(&*call.receiver, syn::Expr::MethodCall(r) if r.method == name && r.args.is_empty());
        let arg = call.args.first().filter(|_| call.args.len() == 1);
        let from_from = matches!(arg, Some(syn::Expr::Path(p))
            if p.path.segments.len() == 2
                && p.path.segments[0].ident == "From"
                && p.path.segments[1].ident == "from");
        if call.method == "map" && from_from && receiver_is("try_into") {
            *expr = (*call.receiver).clone();
            self.touched.push("body setter: .map(From::from)".into());
            return;
        }
        if call.method == "and_then"
            && let Some(syn::Expr::Closure(closure)) = arg
            && let Some(ty) = try_from_of_types(&closure.body)
        {
            *expr = (*call.receiver).clone();
            self.touched.push(format!("send: {ty}::try_from(body)"));
        }
    }
}

/// For `types::T::try_from(v).map_err(..)`, `Some("T")`.
fn try_from_of_types(body: &syn::Expr) -> Option<String> {
    let syn::Expr::MethodCall(map_err) = body else {
        return None;
    };
    if map_err.method != "map_err" {
        return None;
    }
    let syn::Expr::Call(call) = &*map_err.receiver else {
        return None;
    };
    let syn::Expr::Path(func) = &*call.func else {
        return None;
    };
    match super::path_names(&func.path).as_slice() {
        [types, ty, try_from] if types == "types" && try_from == "try_from" => Some(ty.clone()),
        _ => None,
    }
}

/// `impl Default for E { fn default() -> Self { E::V } }` of an enum `E` of
/// this module with a unit variant `V` → `#[derive(Default)]` on `E`,
/// `#[default]` on `V`. Returns the enums.
fn derive_enum_defaults(items: &mut Vec<Item>) -> Result<Vec<String>, String> {
    let mut defaults = std::collections::BTreeMap::new();
    for item in items.iter() {
        let Item::Impl(imp) = item else { continue };
        if super::impl_trait_name(imp).as_deref() != Some("Default") {
            continue;
        }
        let Some(name) = impl_self_name(imp) else {
            continue;
        };
        let [syn::ImplItem::Fn(f)] = imp.items.as_slice() else {
            continue;
        };
        let [syn::Stmt::Expr(syn::Expr::Path(p), None)] = f.block.stmts.as_slice() else {
            continue;
        };
        if let [ty, variant] = super::path_names(&p.path).as_slice()
            && *ty == name
        {
            defaults.insert(name, variant.clone());
        }
    }
    let mut derived = Vec::new();
    for item in items.iter_mut() {
        let Item::Enum(e) = item else { continue };
        let Some(variant) = defaults.get(&e.ident.to_string()) else {
            continue;
        };
        let Some(v) = e
            .variants
            .iter_mut()
            .find(|v| v.ident == variant && matches!(v.fields, syn::Fields::Unit))
        else {
            // Not a unit variant: leave the impl as it is.
            defaults.remove(&e.ident.to_string());
            continue;
        };
        v.attrs.push(parse_quote!(#[default]));
        let derive = e
            .attrs
            .iter_mut()
            .find(|a| a.path().is_ident("derive"))
            .ok_or_else(|| format!("enum {} has no derive to add Default to", e.ident))?;
        let mut paths = derive
            .parse_args_with(
                syn::punctuated::Punctuated::<syn::Path, syn::Token![,]>::parse_terminated,
            )
            .map_err(|err| format!("enum {}: derive: {err}", e.ident))?;
        paths.push(parse_quote!(Default));
        *derive = parse_quote!(#[derive(#paths)]);
        derived.push(format!("{}: #[derive(Default)]", e.ident));
    }
    items.retain(|item| match item {
        Item::Impl(imp) if super::impl_trait_name(imp).as_deref() == Some("Default") => {
            !impl_self_name(imp).is_some_and(|n| defaults.contains_key(&n))
        }
        _ => true,
    });
    Ok(derived)
}
