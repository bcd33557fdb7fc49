// Package deploy holds the cloud deployment as code (deploy/terraform: an
// OpenTofu/Terraform module for S3, KMS, IAM, network and EMR; deploy/docker:
// container images) and, in its tests, the offline security rules every
// configuration under deploy/ must pass: no s3:* (or *) allowed on every
// resource, no security-group ingress from anywhere, encryption and a full
// public-access block on every bucket, and no literal credentials.
package deploy
