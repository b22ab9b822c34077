//! SSH authentication as a device is configured: the methods it offers and the verdict on
//! each attempt. A refusal keeps offering the device's methods, as a real device does, so
//! clients may try another one.

use std::borrow::Cow;
use std::net::SocketAddr;

use russh::server::{Auth, Response};
use russh::{MethodKind, MethodSet};

use crate::device::Device;
use crate::settings::AuthMethod;

pub(crate) fn methods(allowed: &[AuthMethod]) -> MethodSet {
    let kinds: Vec<MethodKind> = allowed
        .iter()
        .map(|m| match m {
            AuthMethod::Password => MethodKind::Password,
            AuthMethod::KeyboardInteractive => MethodKind::KeyboardInteractive,
        })
        .collect();
    MethodSet::from(&kinds[..])
}

/// Accepts the login if the device offers `method` and the credentials are right.
pub(crate) fn verdict(device: &Device, peer: SocketAddr, method: AuthMethod, user: &str, password: &[u8]) -> Auth {
    if device.spec.auth_methods.contains(&method) && device.accepts_login(user, password) {
        return Auth::Accept;
    }
    tracing::info!(device = %device.spec.hostname, %peer, ?method, "login refused");
    Auth::Reject { proceed_with_methods: Some(methods(&device.spec.auth_methods)), partial_success: false }
}

/// Keyboard-interactive: one `Password: ` prompt, then the verdict on the answer.
pub(crate) fn keyboard_interactive(
    device: &Device,
    peer: SocketAddr,
    user: &str,
    response: Option<Response<'_>>,
) -> Auth {
    let method = AuthMethod::KeyboardInteractive;
    match response {
        None if device.spec.auth_methods.contains(&method) => Auth::Partial {
            name: Cow::Borrowed(""),
            instructions: Cow::Borrowed(""),
            prompts: Cow::Owned(vec![(Cow::Borrowed("Password: "), false)]),
        },
        None => verdict(device, peer, method, user, b""),
        Some(mut answers) => verdict(device, peer, method, user, &answers.next().unwrap_or_default()),
    }
}
