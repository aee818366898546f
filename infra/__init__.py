"""Pulumi programs that stand Crowdsource up: on any Kubernetes cluster (`k8s`), on AWS (`aws`)
and on GCP (`gcp`). `infra/` never imports `app/`: it only knows the image, the environment
variable names the app reads and the `crowdsource` commands to run."""
