//! A small HTTP/1.1 token server on 127.0.0.1 for the auth tests: logs users in, and rotates
//! refresh tokens (each refresh token is single-use; an old one gets 401). Tests can hold the next
//! refresh request until released, rotate the token as another client would, expire the session,
//! make the next refresh fail with a status, or answer it with a redirect.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Default)]
struct State {
    current_refresh: String,
    issued: u64,
    expired: bool,
    invalid_grant: bool,
    fail_next: Option<u16>,
    redirect_next: Option<String>,
    hold: Option<(Sender<()>, Receiver<()>)>,
}

/// The running server.
pub struct TokenServer {
    pub url: String,
    state: Arc<Mutex<State>>,
}

/// Signals of a held refresh request.
pub struct Held {
    pub arrived: Receiver<()>,
    pub release: Sender<()>,
}

fn lock(state: &Mutex<State>) -> std::sync::MutexGuard<'_, State> {
    state.lock().unwrap_or_else(|e| e.into_inner())
}

impl TokenServer {
    pub fn start() -> TokenServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let state = Arc::new(Mutex::new(State::default()));
        let shared = Arc::clone(&state);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let shared = Arc::clone(&shared);
                std::thread::spawn(move || handle(stream, &shared));
            }
        });
        TokenServer { url, state }
    }

    /// The refresh token the server accepts now.
    pub fn current_refresh(&self) -> String {
        lock(&self.state).current_refresh.clone()
    }

    /// How many token pairs were issued.
    pub fn issued(&self) -> u64 {
        lock(&self.state).issued
    }

    /// Another client rotates the token: the old one stops working. Returns the new pair.
    pub fn rotate_from_outside(&self) -> (String, String) {
        let mut s = lock(&self.state);
        issue(&mut s)
    }

    /// The session ends: the current refresh token is rejected from now on.
    pub fn expire(&self) {
        lock(&self.state).expired = true;
    }

    /// The session ends, and the server says so with 400 `invalid_grant` instead of 401.
    pub fn expire_with_invalid_grant(&self) {
        let mut s = lock(&self.state);
        s.expired = true;
        s.invalid_grant = true;
    }

    /// The next refresh answers with this status.
    pub fn fail_next(&self, status: u16) {
        lock(&self.state).fail_next = Some(status);
    }

    /// The next refresh answers `307 Temporary Redirect` to `location` (a client that follows it
    /// would re-send the refresh token there).
    pub fn redirect_next(&self, location: &str) {
        lock(&self.state).redirect_next = Some(location.to_owned());
    }

    /// Holds the next refresh request until the test releases it.
    pub fn hold_next_refresh(&self) -> Held {
        let (arrived_tx, arrived_rx) = channel();
        let (release_tx, release_rx) = channel();
        lock(&self.state).hold = Some((arrived_tx, release_rx));
        Held {
            arrived: arrived_rx,
            release: release_tx,
        }
    }
}

fn issue(s: &mut State) -> (String, String) {
    s.issued += 1;
    let n = s.issued;
    s.current_refresh = format!("refresh-token-{n}-secret");
    (
        format!("access-token-{n}-secret"),
        s.current_refresh.clone(),
    )
}

fn respond(stream: &mut TcpStream, status: u16, body: &str) {
    respond_with(stream, status, "", body);
}

fn respond_with(stream: &mut TcpStream, status: u16, extra_headers: &str, body: &str) {
    let reason = match status {
        200 => "OK",
        307 => "Temporary Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        _ => "Error",
    };
    let _ = write!(
        stream,
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n{extra_headers}Connection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.flush();
}

fn handle(mut stream: TcpStream, state: &Mutex<State>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let mut reader = BufReader::new(stream.try_clone().expect("clone stream"));
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            break;
        }
        if let Some((k, v)) = line.split_once(':')
            && k.eq_ignore_ascii_case("content-length")
        {
            length = v.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0u8; length];
    let _ = reader.read_exact(&mut body);
    let json: serde_json::Value = serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
    let path = request_line
        .split_whitespace()
        .nth(1)
        .unwrap_or("")
        .to_owned();
    match path.as_str() {
        "/api/v1/token/" => {
            let ok = json["username"] == "bob" && json["password"] == "correct horse";
            if !ok {
                return respond(&mut stream, 401, r#"{"detail": "invalid credentials"}"#);
            }
            let mut s = lock(state);
            s.expired = false;
            let (access, refresh) = issue(&mut s);
            drop(s);
            respond(
                &mut stream,
                200,
                &serde_json::json!({"access": access, "refresh": refresh, "access_lifetime": 900, "refresh_lifetime": "86400", "team_slug": "t1"}).to_string(),
            );
        }
        "/api/v1/token/refresh/" => {
            let hold = lock(state).hold.take();
            if let Some((arrived, release)) = hold {
                let _ = arrived.send(());
                let _ = release.recv_timeout(Duration::from_secs(20));
            }
            let mut s = lock(state);
            if let Some(location) = s.redirect_next.take() {
                drop(s);
                let header = format!("Location: {location}\r\n");
                return respond_with(&mut stream, 307, &header, "{}");
            }
            if let Some(status) = s.fail_next.take() {
                drop(s);
                return respond(&mut stream, status, r#"{"detail": "unavailable"}"#);
            }
            let presented = json["refresh"].as_str().unwrap_or("");
            if s.expired || presented != s.current_refresh {
                let invalid_grant = s.invalid_grant;
                drop(s);
                if invalid_grant {
                    return respond(&mut stream, 400, r#"{"error": "invalid_grant"}"#);
                }
                return respond(&mut stream, 401, r#"{"detail": "token not valid"}"#);
            }
            let (access, refresh) = issue(&mut s);
            drop(s);
            respond(
                &mut stream,
                200,
                &serde_json::json!({"access": access, "refresh": refresh, "expires_in": "900", "refresh_expires_in": 86400}).to_string(),
            );
        }
        _ => respond(&mut stream, 404, "{}"),
    }
}
