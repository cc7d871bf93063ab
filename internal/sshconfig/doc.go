// Package sshconfig reads OpenSSH client configuration files
// (ssh_config(5)) for the few settings planrun's SSH hosts take from
// them: HostName, User, Port, IdentityFile, CertificateFile,
// IdentityAgent, IdentitiesOnly, UserKnownHostsFile, GlobalKnownHostsFile,
// HostKeyAlias, ProxyJump, ProxyCommand (as written, for the caller to run;
// see ProxyCommandLine) and ProxyUseFdpass, KnownHostsCommand (see
// KnownHostsCommand), ConnectTimeout, ServerAliveInterval, ServerAliveCountMax,
// RefuseConnection and CanonicalizeHostname (with CanonicalDomains,
// CanonicalizeMaxDots and CanonicalizeFallbackLocal).
// Tests check lookups against OpenSSH's ssh -G: a table of cases, and
// configs drawn at random from the forms planrun reads.
//
// A lookup reads the files the way ssh does for one host: top to bottom,
// Host and Match lines switch the following lines on or off, Include
// reads more files in place (inside a block that does not apply, for
// their form only), every line's value is checked whether it applies or
// not, and for each setting the first value obtained wins (IdentityFile
// accumulates). As in
// ssh, the files are read a second time when a Match final asks for it or
// host names are canonicalized: with the host name final, Host lines
// match it and Match final and Match canonical hold.
// Match localnetwork looks at this machine's interfaces, and Match tagged
// at the Tag lines. Match exec runs its command as ssh does (with the
// user's shell, only when the line is reached). Match criteria planrun
// cannot decide for a connection shared by many commands (command,
// sessiontype, version) are an error when reached, never guessed. Other keywords
// ssh knows are ignored: planrun has its own answer for them (host keys,
// for one, are always checked, whatever StrictHostKeyChecking says). A
// keyword ssh does not know is an error, as in ssh, unless IgnoreUnknown
// names it.
//
// It also reads known_hosts files as ssh does (KnownHosts): host patterns
// and hashed names, @cert-authority and @revoked lines, host
// certificates, the bare host name for a server on another port, and the
// host key algorithms to ask for. TestKnownHostsAgainstOpenSSH (package
// hosts) checks the verdicts against OpenSSH's ssh client.
package sshconfig
