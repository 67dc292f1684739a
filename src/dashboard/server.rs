//! The HTTP server: binds 127.0.0.1 (the preferred port, else the next free one), records itself
//! in `.kittify/.dashboard`, and answers requests on a few worker threads until a `POST
//! /api/shutdown` with the token arrives. HTTP parsing is tiny_http's; routing is `api.rs`.
//!
//! A handler that panics answers 500 and the worker carries on, so no request can take the server
//! down. A watchdog stops the server when its record disappears or names another server. The server writes nothing but its own record, and prints nothing: the process that runs
//! it (`spec-kitty dashboard --serve`, started detached by `lifecycle.rs`) has no terminal.

use std::net::{Ipv4Addr, SocketAddrV4, TcpListener};
use std::path::Path;
use std::sync::Arc;
use std::sync::mpsc;

use super::api::{self, Context, Reply};
use super::record::{self, Record};
use crate::support::diagnostics::Diag;

/// The port tried first when none is asked for (3.1.1's).
pub const DEFAULT_PORT: u16 = 9237;
/// How many ports are tried, counting up from the preferred one.
pub const PORT_ATTEMPTS: u16 = 100;
/// Worker threads answering requests.
const WORKERS: usize = 8;

/// Binds 127.0.0.1 on `preferred`, or the first free port after it.
pub fn bind(preferred: u16) -> Result<(TcpListener, u16), Diag> {
    let last = preferred.saturating_add(PORT_ATTEMPTS - 1);
    let mut last_error = None;
    for port in preferred..=last {
        match listen(SocketAddrV4::new(Ipv4Addr::LOCALHOST, port)) {
            Ok(l) => return Ok((l, port)),
            Err(e) => last_error = Some(e),
        }
    }
    Err(Diag::error(
        "dashboard::no-free-port",
        format!(
            "no free port on 127.0.0.1 between {preferred} and {last}{}",
            last_error.map(|e| format!(" ({e})")).unwrap_or_default()
        ),
    )
    .with_help("pass another starting port with `--port`"))
}

/// A listening socket with `TCP_NODELAY`, which accepted connections inherit: tiny_http writes a
/// response in 1 KiB pieces, and without it Nagle's algorithm holds the last piece back until the
/// client's delayed ACK (about 40 ms per request on a kept-alive connection).
fn listen(addr: SocketAddrV4) -> std::io::Result<TcpListener> {
    use socket2::{Domain, Protocol, Socket, Type};
    let socket = Socket::new(Domain::IPV4, Type::STREAM, Some(Protocol::TCP))?;
    #[cfg(unix)]
    socket.set_reuse_address(true)?;
    socket.set_tcp_nodelay(true)?;
    socket.bind(&addr.into())?;
    socket.listen(128)?;
    Ok(socket.into())
}

/// Runs the server for `root` until shutdown: binds, records itself, serves. Returns once a
/// shutdown request has been answered and the record removed.
pub fn serve(root: &Path, preferred: u16) -> Result<(), Diag> {
    let root = root.canonicalize().map_err(|e| {
        crate::support::diagnostics::io_error("dashboard::root", root, &e)
            .with_help("run `spec-kitty dashboard` inside the project")
    })?;
    let (listener, port) = bind(preferred)?;
    let token = record::new_token().map_err(|e| {
        Diag::error(
            "dashboard::token",
            format!("cannot get random bytes for the token: {e}"),
        )
        .with_help("check that the operating system's random source is available")
    })?;
    let http = tiny_http::Server::from_listener(listener, None).map_err(|e| {
        Diag::error(
            "dashboard::listen",
            format!("cannot serve on 127.0.0.1:{port}: {e}"),
        )
        .with_help("try another port with `--port`")
    })?;
    let pid = std::process::id();
    let rec = Record {
        url: format!("http://127.0.0.1:{port}"),
        port,
        token: token.clone(),
        pid: Some(pid),
    };
    rec.write(&root).map_err(|e| {
        crate::support::diagnostics::io_error("dashboard::record", &record::path(&root), &e)
            .with_help("check that `.kittify/` is writable")
    })?;
    let ctx = Arc::new(Context::new(root.clone(), port, token, pid));
    let http = Arc::new(http);
    let (stop_tx, stop_rx) = mpsc::channel::<()>();
    for _ in 0..WORKERS {
        let http = Arc::clone(&http);
        let ctx = Arc::clone(&ctx);
        let stop = stop_tx.clone();
        std::thread::spawn(move || worker(&http, &ctx, &stop));
    }
    {
        let root = root.clone();
        std::thread::spawn(move || watchdog(&root, pid, &stop_tx));
    }
    // A shutdown request, or the watchdog: stop.
    let _ = stop_rx.recv();
    let _ = record::remove(&root, Some(pid));
    Ok(())
}

/// How often the server checks that it is still the project's recorded dashboard.
const WATCH_INTERVAL: std::time::Duration = std::time::Duration::from_secs(2);

/// Stops the server once its record is gone or names another server (removed by hand, the project
/// deleted, a test's temp dir cleaned up): a server nobody can find could never be stopped with
/// `--kill`.
fn watchdog(root: &Path, pid: u32, stop: &mpsc::Sender<()>) {
    loop {
        std::thread::sleep(WATCH_INTERVAL);
        let gone = match Record::read(root) {
            Ok(Some(Ok(r))) => r.pid != Some(pid),
            Ok(_) => true,
            // Unreadable for a moment (permissions being changed): look again later.
            Err(_) => false,
        };
        if gone {
            let _ = stop.send(());
            return;
        }
    }
}

fn worker(http: &tiny_http::Server, ctx: &Context, stop: &mpsc::Sender<()>) {
    loop {
        let request = match http.recv() {
            Ok(r) => r,
            // A failed accept (a broken connection, or too many open files for a moment) is not
            // the server's end; pause so a persistent error cannot spin a core.
            Err(_) => {
                std::thread::sleep(std::time::Duration::from_millis(10));
                continue;
            }
        };
        let reply = answer(ctx, &request);
        let shutdown = reply.shutdown;
        let _ = request.respond(response(reply));
        if shutdown {
            let _ = stop.send(());
            return;
        }
    }
}

fn header<'a>(request: &'a tiny_http::Request, name: &'static str) -> Option<&'a str> {
    request
        .headers()
        .iter()
        .find(|h| h.field.equiv(name))
        .map(|h| h.value.as_str())
}

fn answer(ctx: &Context, request: &tiny_http::Request) -> Reply {
    let method = request.method().as_str().to_owned();
    let req = api::Request {
        method: &method,
        target: request.url(),
        host: header(request, "Host"),
        authorization: header(request, "Authorization"),
    };
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| api::route(ctx, req)))
        .unwrap_or_else(|_| Reply::error(500, "dashboard::internal", "internal error"))
}

fn response(reply: Reply) -> tiny_http::Response<std::io::Cursor<Vec<u8>>> {
    let mut headers = vec![
        ("Content-Type", reply.content_type),
        ("Cache-Control", "no-store"),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "no-referrer"),
        (
            "Content-Security-Policy",
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        ),
    ];
    if let Some(allow) = reply.allow {
        headers.push(("Allow", allow));
    }
    let mut resp = tiny_http::Response::from_data(reply.body).with_status_code(reply.status);
    for (k, v) in headers {
        if let Ok(h) = tiny_http::Header::from_bytes(k.as_bytes(), v.as_bytes()) {
            resp.add_header(h);
        }
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_taken_port_falls_back_to_the_next() {
        let (held, port) = bind(40000).expect("some port");
        let (other, next) = bind(port).expect("fallback");
        assert!(next > port);
        drop((held, other));
    }
}
