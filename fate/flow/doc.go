// Package flow is a client for FATE Flow's 1.x HTTP model API
// (/v1/model/...), for both server generations planrun meets: 1.5–1.8 and
// 1.9+ (../shared/FATE.md §1).
//
// A Client talks to one FATE Flow server. Every call takes a context, has
// a per-request timeout (Options.Timeout) and returns an *Error that names
// the host, the operation, the party when known and what the server said
// (HTTP status, retcode, retmsg; an HTML page or other non-JSON answer is
// summarised in one line, never dumped).
//
// Retries are limited to what is safe: GET/query-style calls (Export,
// Exists, Packaging) retry transport failures and 502/503/504 answers (a
// timeout or a TLS failure is not retried: trying again would not help); a
// call that changes the server (Migrate, Import, Deploy) is retried only
// when the connection could not be opened at all (the request never left
// this machine). A migrate or an import whose body may have reached the
// server is never sent twice.
//
// When Options.AppKey and Options.Secret are set every request is signed
// as FATE's own CLI signs it (headers TIMESTAMP, NONCE, APP_KEY, SIGNATURE:
// base64 HMAC-SHA1 over timestamp, nonce, app key, path with query, the
// JSON body and the url-encoded sorted form fields, joined by "\n"). The
// secret is never logged and never part of an error.
//
// Existence checks (Exists) use export-probe semantics: a GET
// /v1/model/export whose answer is the attachment means the model exists;
// 404 (1.9+) or HTTP 210 "... is not exist." (1.5–1.8) means it does not.
// The body of a positive answer is not downloaded.
package flow
