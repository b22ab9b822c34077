//! State-machine tests per platform, sharing these helpers.

mod eos;
mod ios;
mod junos;
mod linux;
mod nxos;
mod os10;
mod xr;

use std::sync::Arc;

use super::{Chunk, Cli};
use crate::device::Device;
use crate::log::CommandLog;
use crate::platform::lookup;
use crate::settings::DeviceSpec;

fn device(spec: DeviceSpec) -> Arc<Device> {
    let platform = lookup(&spec.platform).expect("known platform");
    Arc::new(Device::new(spec, platform, CommandLog::new()))
}

/// A session on a new device of `platform` called `host`, user `netops`.
fn session(platform: &str, host: &str, enable_secret: &str) -> Cli {
    Cli::new(device(DeviceSpec::new(platform, host, "netops", "pw", enable_secret)))
}

/// Everything the client would see for this input.
fn run(cli: &mut Cli, input: &str) -> String {
    cli.feed(input.as_bytes())
        .into_iter()
        .map(|c| match c {
            Chunk::Echo(b) | Chunk::Reply(b) => String::from_utf8_lossy(&b).into_owned(),
            Chunk::Close => "<close>".into(),
        })
        .collect()
}

/// The device's command log as (command, mode) pairs.
fn log(cli: &Cli) -> Vec<(String, String)> {
    cli.device.log.entries().into_iter().map(|r| (r.command, r.mode)).collect()
}

/// The modes recorded for each command, in order.
fn modes(cli: &Cli) -> Vec<String> {
    log(cli).into_iter().map(|(_, mode)| mode).collect()
}

/// What `output_size` turns into: the body of a support command between echo and prompt.
fn body_len(out: &str, command: &str, prompt: &str) -> usize {
    out.strip_prefix(&format!("{command}\r\n")).and_then(|b| b.strip_suffix(prompt)).map_or(0, str::len)
}
