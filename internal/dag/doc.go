// Package dag is a small directed graph of string node ids used for plan
// dependencies. An edge "a needs b" means b must finish before a starts.
// Nodes keep their insertion order (the plan's file order): topological
// order is stable (ready nodes come out in insertion order), and cycles are
// reported as full paths, a -> b -> c -> a, following "needs" edges.
package dag
