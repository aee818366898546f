"""The `gcp` target: VPC, GKE Autopilot, Cloud SQL, GCS, Cloud CDN, Cloud Armor, Artifact Registry
and IAM, then the app (infra/k8s) on the cluster. `stack.deploy` is the entry point."""
