//! Following one job to its end: the API's event stream (`GET /v2/jobs/{id}/stream`: a
//! `status` event per change, then one `result` event with the job document), falling
//! back to polling `GET /v2/jobs/{id}` with backoff when the stream is unavailable or
//! breaks off before the result (a proxy that buffers or cuts long responses, an API
//! replica restarting).
//!
//! The stream is decoded by `eventsource-stream`. A broken stream is not resumed with
//! `Last-Event-ID`: one poll of the job document is as cheap and gives the current status
//! whatever was missed.

use std::time::Duration;

use eventsource_stream::Eventsource;
use futures::StreamExt;
use serde_json::Value;

use crate::api::Api;
use crate::error::CliError;

pub fn is_terminal(status: &str) -> bool {
    matches!(status, "finished" | "failed" | "canceled")
}

/// Follows `job_id` until it ends; `on_status` hears every status seen on the way (the
/// current one first). Returns the final job document.
pub async fn follow(api: &Api, job_id: &str, poll: bool, mut on_status: impl FnMut(&str)) -> Result<Value, CliError> {
    if !poll && let Some(document) = stream(api, job_id, &mut on_status).await? {
        return Ok(document);
    }
    poll_until_done(api, job_id, &mut on_status).await
}

/// `Ok(None)`: no stream, or it ended without a result; the caller polls.
async fn stream(api: &Api, job_id: &str, on_status: &mut impl FnMut(&str)) -> Result<Option<Value>, CliError> {
    let Some(response) = api.stream(job_id).await? else { return Ok(None) };
    let mut events = response.bytes_stream().eventsource();
    while let Some(Ok(event)) = events.next().await {
        let Ok(data) = serde_json::from_str::<Value>(&event.data) else { continue };
        match event.event.as_str() {
            "status" => {
                if let Some(status) = data.get("status").and_then(Value::as_str) {
                    on_status(status);
                }
            }
            "result" => return Ok(Some(data)),
            _ => {}
        }
    }
    Ok(None)
}

async fn poll_until_done(api: &Api, job_id: &str, on_status: &mut impl FnMut(&str)) -> Result<Value, CliError> {
    let mut pause = Duration::from_millis(200);
    let mut last = String::new();
    loop {
        let document = api.job(job_id).await?;
        let status = document.get("status").and_then(Value::as_str).unwrap_or("").to_owned();
        if status != last {
            on_status(&status);
            last = status;
        }
        if is_terminal(&last) {
            return Ok(document);
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 3 / 2).min(Duration::from_secs(3));
    }
}

#[cfg(test)]
mod tests {
    use eventsource_stream::Eventsource;
    use futures::StreamExt;

    /// The API's framing, split at every byte (including between `\r` and `\n`), with
    /// keep-alive comments and all three line endings, decodes to the events `stream`
    /// matches on.
    #[tokio::test]
    async fn the_event_stream_decodes_across_chunks_and_line_endings() {
        let stream: &[u8] = b": keep-alive\n\nevent: status\r\nid: j:queued:0\r\ndata: {\"status\":\r\n\r\nevent:result\rdata:{}\r\rdata: a\ndata: b\n\n";
        let chunks = futures::stream::iter(stream.iter().map(|byte| Ok::<_, std::convert::Infallible>([*byte])));
        let events: Vec<(String, String)> =
            chunks.eventsource().map(|event| event.map(|e| (e.event, e.data)).unwrap()).collect().await;
        let expected = [("status", "{\"status\":"), ("result", "{}"), ("message", "a\nb")];
        assert_eq!(events, expected.map(|(name, data)| (name.to_owned(), data.to_owned())));
    }
}
