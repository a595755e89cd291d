"""Facts about Google Cloud, Kubernetes and the app that every package may rely on, each spelt once.

A leaf package: it imports nothing of this project, so config, components, costs and policy can all read it.

- `facts.types`: the type token of every resource the program creates;
- `facts.gcp`: GCP limits and shapes (Cloud Run, Memorystore, Cloud SQL, GKE, machine types, names);
- `facts.kubernetes`: the GPU resource key, pod spec paths, which objects are cluster-scoped;
- `facts.quantities`: CPU and memory quantities, parsed and formatted;
- `facts.labels`: the labels every resource carries and where each type keeps them;
- `facts.app`: what infra must know of the app container (port, UID, health paths).
"""
