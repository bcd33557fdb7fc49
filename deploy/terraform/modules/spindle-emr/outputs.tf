output "buckets" {
  description = "The module's buckets by role (data, artifacts, logs)."
  value       = { for k, b in aws_s3_bucket.this : k => b.id }
}

output "kms_key_arn" {
  description = "The key encrypting the buckets, EMR disks and logs."
  value       = aws_kms_key.this.arn
}

output "cluster_id" {
  description = "The EMR cluster running the spec (null until create_cluster is true)."
  value       = one(aws_emr_cluster.this[*].id)
}

output "run_output_uri" {
  description = "Where spindle run writes metrics.json, models/ and run.log."
  value       = local.out_uri
}

output "artifact_uris" {
  description = "Where the cluster expects what spindle stage uploads."
  value = {
    spindle    = "s3://${aws_s3_bucket.this["artifacts"].id}/${var.spindle_binary_key}"
    boot       = "s3://${aws_s3_bucket.this["artifacts"].id}/${var.boot_binary_key}"
    job_server = "s3://${aws_s3_bucket.this["artifacts"].id}/${var.job_server_jar_key}"
    spec       = local.spec_uri
    tls_certs  = "s3://${aws_s3_bucket.this["artifacts"].id}/${var.tls_certificates_key}"
  }
}

output "roles" {
  description = "The EMR service role and the instance role."
  value = {
    emr_service = aws_iam_role.emr_service.arn
    instance    = aws_iam_role.instance.arn
  }
}
