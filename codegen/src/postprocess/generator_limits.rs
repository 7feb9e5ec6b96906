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
        let doc = format!(
            " Sends the request asking the daemon to switch the connection to `{protocol}` \
             (`Connection: Upgrade`, answered `101`): the connection then carries input \
             one way and output the other."
        );
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
