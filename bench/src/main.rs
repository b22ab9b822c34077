//! `naas-bench`: naas against netmiko and against bare SSH, on the same simulated devices,
//! in one run. See `naas-bench --help` and docs/performance.md.

mod args;
mod chart;
mod client;
mod cpu;
mod direct;
mod ingest;
mod machine;
mod monitor;
mod netmiko;
mod pipeline;
mod redis_cost;
mod report;
mod results;
mod run;
mod soak;
mod stats;
mod system;

use std::process::ExitCode;

use anyhow::Context;

/// mimalloc instead of glibc malloc: far less time in allocation under load (docs/performance.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let args = match args::Args::parse(std::env::args().skip(1)) {
        Ok(Some(args)) => args,
        Ok(None) => {
            println!("{}", args::USAGE);
            return ExitCode::SUCCESS;
        }
        Err(error) => {
            eprintln!("naas-bench: {error:#}\n\n{}", args::USAGE);
            return ExitCode::from(2);
        }
    };
    let filter = std::env::var("RUST_LOG").unwrap_or_else(|_| "error".into());
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    match bench(&args).await {
        Ok(0) => ExitCode::SUCCESS,
        Ok(errors) => {
            eprintln!("naas-bench: {errors} operations failed or soak figures over their bounds (see the notes)");
            ExitCode::FAILURE
        }
        Err(error) => {
            eprintln!("naas-bench: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Runs everything, prints the report and writes latest.json and latest.svg; returns the
/// number of failed operations.
async fn bench(args: &args::Args) -> anyhow::Result<usize> {
    let machine = machine::Machine::this();
    let run::Outcome { rows, redis, soak } = run::scenarios(args).await?;
    let settings = serde_json::json!({
        "latencies_ms": args.latencies_ms, "concurrency": args.concurrency, "devices": args.devices,
        "jobs": args.jobs, "netmiko_jobs": args.netmiko_jobs, "ingest_requests": args.ingest_requests,
        "ingest_concurrency": args.ingest_concurrency, "fanout_jobs": args.fanout_jobs,
        "fanout_devices": args.fanout_devices, "fanout_concurrency": args.fanout_concurrency,
        "redis_appendfsync": args.redis_appendfsync, "soak_jobs": args.soak_jobs, "only": args.only,
    });
    let report = report::Report::new(machine, args.smoke, settings, rows, redis, soak);
    println!("{}", report.text());
    std::fs::create_dir_all(&args.out).with_context(|| format!("creating {}", args.out.display()))?;
    let json = args.out.join("latest.json");
    std::fs::write(&json, serde_json::to_string_pretty(&report)? + "\n").context("writing latest.json")?;
    let svg = args.out.join("latest.svg");
    std::fs::write(&svg, chart::svg(&report)).context("writing latest.svg")?;
    println!("wrote {} and {}", json.display(), svg.display());
    Ok(report.errors())
}
