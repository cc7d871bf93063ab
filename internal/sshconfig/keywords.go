package sshconfig

// keywords are the client configuration keywords OpenSSH knows: those of
// its readconf.c (August 2026), with the obsolete, deprecated and
// unsupported ones it still accepts, and those common distributions'
// patches add. A keyword outside this list is an error, as in ssh, unless
// IgnoreUnknown names it: a misspelt setting is reported rather than
// silently left out.
var keywords = setOf(
	// deprecated, unsupported or build-dependent: accepted, no effect
	"protocol", "cipher", "fallbacktorsh", "globalknownhostsfile2", "rhostsauthentication",
	"userknownhostsfile2", "useroaming", "usersh", "useprivilegedport", "afstokenpassing",
	"kerberosauthentication", "kerberostgtpassing", "rsaauthentication",
	"rhostsrsaauthentication", "compressionlevel", "gssapiauthentication",
	"gssapidelegatecredentials", "pkcs11provider", "smartcarddevice", "usekeychain",
	"zeroknowledgepasswordauthentication",
	// the GSSAPI key exchange patch of Debian, Ubuntu, Fedora and RHEL
	"gssapikeyexchange", "gssapiclientidentity", "gssapiserveridentity",
	"gssapirenewalforcesrekey", "gssapitrustdns", "gssapikexalgorithms",
	// current, with their aliases
	"forwardagent", "forwardx11", "forwardx11trusted", "forwardx11timeout",
	"exitonforwardfailure", "xauthlocation", "gatewayports", "passwordauthentication",
	"kbdinteractiveauthentication", "kbdinteractivedevices", "challengeresponseauthentication",
	"skeyauthentication", "tisauthentication", "pubkeyauthentication", "dsaauthentication",
	"hostbasedauthentication", "identityfile", "identityfile2", "identitiesonly",
	"certificatefile", "addkeystoagent", "identityagent", "hostname", "hostkeyalias",
	"proxycommand", "port", "ciphers", "macs", "remoteforward", "localforward",
	"permitremoteopen", "user", "host", "match", "tag", "escapechar", "globalknownhostsfile",
	"userknownhostsfile", "connectionattempts", "batchmode", "checkhostip",
	"stricthostkeychecking", "compression", "tcpkeepalive", "keepalive",
	"numberofpasswordprompts", "syslogfacility", "loglevel", "logverbose", "dynamicforward",
	"preferredauthentications", "hostkeyalgorithms", "casignaturealgorithms", "bindaddress",
	"bindinterface", "clearallforwardings", "enablesshkeysign", "verifyhostkeydns",
	"nohostauthenticationforlocalhost", "rekeylimit", "connecttimeout", "addressfamily",
	"serveraliveinterval", "serveralivecountmax", "sendenv", "setenv", "controlpath",
	"controlmaster", "controlpersist", "hashknownhosts", "include", "tunnel", "tunneldevice",
	"localcommand", "permitlocalcommand", "remotecommand", "visualhostkey", "kexalgorithms",
	"ipqos", "requesttty", "sessiontype", "stdinnull", "forkafterauthentication",
	"proxyusefdpass", "canonicaldomains", "canonicalizefallbacklocal", "canonicalizehostname",
	"canonicalizemaxdots", "canonicalizepermittedcnames", "streamlocalbindmask",
	"streamlocalbindunlink", "revokedhostkeys", "fingerprinthash", "updatehostkeys",
	"hostbasedacceptedalgorithms", "hostbasedkeytypes", "pubkeyacceptedalgorithms",
	"pubkeyacceptedkeytypes", "ignoreunknown", "proxyjump", "securitykeyprovider",
	"knownhostscommand", "requiredrsasize", "enableescapecommandline",
	"obscurekeystroketiming", "channeltimeout", "versionaddendum", "refuseconnection",
	"warnweakcrypto",
)

func setOf(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}
