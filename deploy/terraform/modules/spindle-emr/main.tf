data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account   = data.aws_caller_identity.current.account_id
  partition = data.aws_partition.current.partition
  region    = data.aws_region.current.region

  # EMR's v2 managed service policy acts only on resources carrying this tag.
  emr_tag = { "for-use-with-amazon-emr-managed-policies" = "true" }
  tags    = merge(var.tags, { "spindle:deployment" = var.name })

  buckets = {
    data      = "${var.name}-${local.account}-${local.region}-data"
    artifacts = "${var.name}-${local.account}-${local.region}-artifacts"
    logs      = "${var.name}-${local.account}-${local.region}-logs"
  }
}
