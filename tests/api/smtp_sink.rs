//! A real SMTP server for the tests: `mailin-embedded` on a loopback port, in this process. It
//! keeps what it receives, parsed with a real MIME parser (`mail-parser`), and can refuse mail
//! the way servers do: a 4xx (try later) or a 5xx (never), and wrong credentials. With TLS it
//! offers STARTTLS with a self-signed certificate and then AUTH PLAIN/LOGIN.
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use mailin_embedded::response::{AUTH_OK, INVALID_CREDENTIALS, OK};
use mailin_embedded::{Action, AuthMechanism, Response, Server, SslConfig};

/// How the server answers the end of a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    Accept,
    /// `451`: a temporary refusal.
    TryLater,
    /// `554`: a permanent refusal.
    Reject,
}

/// A message as it arrived, with the parts a test looks at.
#[derive(Clone, Debug)]
pub struct Arrived {
    /// The envelope's recipients (`RCPT TO`).
    pub envelope_to: Vec<String>,
    pub to: Vec<String>,
    pub from: String,
    pub subject: String,
    pub message_id: String,
    pub text: String,
    pub html: String,
    pub raw: String,
}

impl Arrived {
    /// Parses a whole message as it went over the wire.
    pub fn parse(envelope_to: Vec<String>, raw: &[u8]) -> Self {
        let message = mail_parser::MessageParser::default()
            .parse(raw)
            .expect("a MIME message");
        let addresses = |list: Option<&mail_parser::Address>| -> Vec<String> {
            list.map(|a| {
                a.iter()
                    .filter_map(|addr| addr.address().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
        };
        Self {
            envelope_to,
            to: addresses(message.to()),
            from: addresses(message.from()).join(", "),
            subject: message.subject().unwrap_or_default().to_owned(),
            message_id: message.message_id().unwrap_or_default().to_owned(),
            text: message.body_text(0).unwrap_or_default().into_owned(),
            html: message.body_html(0).unwrap_or_default().into_owned(),
            raw: String::from_utf8_lossy(raw).into_owned(),
        }
    }

    /// The address of the link labelled `label` in the plain-text part (the line after it).
    pub fn link_after(&self, label: &str) -> String {
        let mut lines = self.text.lines();
        lines
            .find(|line| line.trim_end_matches(':') == label)
            .and_then(|_| lines.next())
            .unwrap_or_else(|| panic!("no link after {label:?} in:\n{}", self.text))
            .trim()
            .to_owned()
    }
}

struct Shared {
    arrived: Mutex<Vec<Arrived>>,
    answer: Mutex<Answer>,
    /// How long the server takes over each message, like a busy relay.
    pause: Mutex<std::time::Duration>,
    /// (user, password) that AUTH accepts.
    login: Option<(String, String)>,
}

#[derive(Clone)]
struct Handler {
    shared: Arc<Shared>,
    envelope_to: Vec<String>,
    data: Vec<u8>,
}

impl mailin_embedded::Handler for Handler {
    fn data_start(&mut self, _domain: &str, _from: &str, _8bit: bool, to: &[String]) -> Response {
        self.envelope_to = to.to_vec();
        self.data.clear();
        OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.data.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        std::thread::sleep(*self.shared.pause.lock().unwrap());
        match *self.shared.answer.lock().unwrap() {
            Answer::Accept => {
                let arrived = Arrived::parse(self.envelope_to.clone(), &self.data);
                self.shared.arrived.lock().unwrap().push(arrived);
                OK
            }
            Answer::TryLater => refusal(451, "4.3.0 Mailbox busy, try again later"),
            Answer::Reject => refusal(554, "5.7.1 Message rejected by policy"),
        }
    }

    fn auth_plain(&mut self, _authorization: &str, user: &str, password: &str) -> Response {
        self.check_login(user, password)
    }

    fn auth_login(&mut self, user: &str, password: &str) -> Response {
        self.check_login(user, password)
    }
}

/// A refusal of the message, after which the server closes the connection: mailin would
/// otherwise stay in the refused transaction and read the client's QUIT as message text.
fn refusal(code: u16, text: &str) -> Response {
    let mut response = Response::custom(code, text.into());
    response.action = Action::Close;
    response
}

impl Handler {
    fn check_login(&self, user: &str, password: &str) -> Response {
        match &self.shared.login {
            Some((u, p)) if u == user && p == password => AUTH_OK,
            _ => INVALID_CREDENTIALS,
        }
    }
}

/// Serves until the test process ends.
pub struct SmtpSink {
    pub port: u16,
    shared: Arc<Shared>,
}

impl SmtpSink {
    /// A plain SMTP server on a port the OS picks.
    pub fn start() -> Self {
        Self::serve(TcpListener::bind("127.0.0.1:0").expect("bind"), None, None)
    }

    /// A port where nothing listens (yet): a server that is down refuses connections there.
    pub fn down() -> u16 {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().unwrap().port()
    }

    /// A plain server on `port`: one that was down comes back up.
    pub fn start_on(port: u16) -> Self {
        let listener = TcpListener::bind(("127.0.0.1", port)).expect("rebind the port");
        Self::serve(listener, None, None)
    }

    /// A server that offers STARTTLS with the self-signed certificate it writes to `dir`
    /// (`certificate(dir)`), and then AUTH for `user` with `password` only.
    pub fn with_tls_and_login(dir: &Path, user: &str, password: &str) -> Self {
        let (cert, key) = self_signed_certificate(dir);
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let tls = SslConfig::SelfSigned {
            cert_path: cert.display().to_string(),
            key_path: key.display().to_string(),
        };
        Self::serve(listener, Some(tls), Some((user.into(), password.into())))
    }

    fn serve(
        listener: TcpListener,
        tls: Option<SslConfig>,
        login: Option<(String, String)>,
    ) -> Self {
        let port = listener.local_addr().unwrap().port();
        let shared = Arc::new(Shared {
            arrived: Mutex::default(),
            answer: Mutex::new(Answer::Accept),
            pause: Mutex::default(),
            login: login.clone(),
        });
        let handler = Handler {
            shared: shared.clone(),
            envelope_to: Vec::new(),
            data: Vec::new(),
        };
        let mut server = Server::new(handler);
        server.with_name("sink.test").with_tcp_listener(listener);
        if let Some(tls) = tls {
            server.with_ssl(tls).expect("TLS set-up");
        }
        if login.is_some() {
            server
                .with_auth(AuthMechanism::Plain)
                .with_auth(AuthMechanism::Login);
        }
        std::thread::spawn(move || {
            if let Err(e) = server.serve() {
                panic!("the test SMTP server stopped: {e}");
            }
        });
        Self { port, shared }
    }

    /// `smtp://127.0.0.1:<port>`, for `PULSE_SMTP_URL`.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Makes the server take `pause` over each message from now on.
    pub fn take_time(&self, pause: std::time::Duration) {
        *self.shared.pause.lock().unwrap() = pause;
    }

    pub fn answer_with(&self, answer: Answer) {
        *self.shared.answer.lock().unwrap() = answer;
    }

    /// Every message accepted so far, in order of arrival.
    pub fn arrived(&self) -> Vec<Arrived> {
        self.shared.arrived.lock().unwrap().clone()
    }

    /// The messages accepted for `address`.
    pub fn to(&self, address: &str) -> Vec<Arrived> {
        self.arrived()
            .into_iter()
            .filter(|m| m.envelope_to.iter().any(|to| to == address))
            .collect()
    }

    /// The only message accepted for `address` with a subject starting with `subject`.
    #[track_caller]
    pub fn one_to(&self, address: &str, subject: &str) -> Arrived {
        let matching: Vec<Arrived> = self
            .to(address)
            .into_iter()
            .filter(|m| m.subject.starts_with(subject))
            .collect();
        assert_eq!(
            matching.len(),
            1,
            "messages to {address} starting {subject:?}: {:?}",
            self.to(address)
                .iter()
                .map(|m| &m.subject)
                .collect::<Vec<_>>()
        );
        matching.into_iter().next().unwrap()
    }
}

/// A self-signed certificate for 127.0.0.1 and localhost, valid for a day, and its key, as PEM
/// files in `dir`: (certificate, key). `SSL_CERT_FILE` pointing at the certificate makes a
/// client trust it.
pub fn self_signed_certificate(dir: &Path) -> (PathBuf, PathBuf) {
    use openssl::asn1::Asn1Time;
    use openssl::bn::BigNum;
    use openssl::ec::{EcGroup, EcKey};
    use openssl::hash::MessageDigest;
    use openssl::nid::Nid;
    use openssl::pkey::PKey;
    use openssl::x509::extension::{BasicConstraints, SubjectAlternativeName};
    use openssl::x509::{X509, X509NameBuilder};

    let cert_path = dir.join("smtp-cert.pem");
    let key_path = dir.join("smtp-key.pem");
    if cert_path.exists() {
        return (cert_path, key_path);
    }
    let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
    let key = PKey::from_ec_key(EcKey::generate(&group).unwrap()).unwrap();
    let mut name = X509NameBuilder::new().unwrap();
    name.append_entry_by_text("CN", "127.0.0.1").unwrap();
    let name = name.build();
    let mut builder = X509::builder().unwrap();
    builder.set_version(2).unwrap();
    let serial = BigNum::from_u32(1).unwrap().to_asn1_integer().unwrap();
    builder.set_serial_number(&serial).unwrap();
    builder.set_subject_name(&name).unwrap();
    builder.set_issuer_name(&name).unwrap();
    builder.set_pubkey(&key).unwrap();
    builder
        .set_not_before(&Asn1Time::days_from_now(0).unwrap())
        .unwrap();
    builder
        .set_not_after(&Asn1Time::days_from_now(1).unwrap())
        .unwrap();
    let san = SubjectAlternativeName::new()
        .ip("127.0.0.1")
        .dns("localhost")
        .build(&builder.x509v3_context(None, None))
        .unwrap();
    builder.append_extension(san).unwrap();
    builder
        .append_extension(BasicConstraints::new().critical().ca().build().unwrap())
        .unwrap();
    builder.sign(&key, MessageDigest::sha256()).unwrap();
    let cert = builder.build();
    std::fs::write(&cert_path, cert.to_pem().unwrap()).unwrap();
    std::fs::write(&key_path, key.private_key_to_pem_pkcs8().unwrap()).unwrap();
    (cert_path, key_path)
}
