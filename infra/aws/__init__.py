"""The `aws` target: VPC, EKS on Fargate, RDS PostgreSQL, S3, CloudFront, WAF, ECR and IAM, then
the app (infra/k8s) on the cluster. `stack.deploy` is the program; each concern has its module."""
