resource "aws_s3_object" "bootstrap" {
  bucket     = aws_s3_bucket.this["artifacts"].id
  key        = "spindle/scripts/bootstrap.sh"
  source     = "${path.module}/files/bootstrap.sh"
  etag       = filemd5("${path.module}/files/bootstrap.sh")
  kms_key_id = var.sse_mode == "kms" ? aws_kms_key.this.arn : null
  tags       = local.tags
}

resource "aws_s3_object" "start_job_server" {
  bucket     = aws_s3_bucket.this["artifacts"].id
  key        = "spindle/scripts/start-job-server.sh"
  source     = "${path.module}/files/start-job-server.sh"
  etag       = filemd5("${path.module}/files/start-job-server.sh")
  kms_key_id = var.sse_mode == "kms" ? aws_kms_key.this.arn : null
  tags       = local.tags
}

# At rest: S3 (EMRFS) with SSE-KMS, local disks and EBS with the module's
# key. In transit: TLS between nodes, with the PEM certificates the
# operator puts in the artifacts bucket (see the README).
resource "aws_emr_security_configuration" "this" {
  name = "${var.name}-spindle"
  configuration = jsonencode({
    EncryptionConfiguration = {
      EnableInTransitEncryption = true
      EnableAtRestEncryption    = true
      InTransitEncryptionConfiguration = {
        TLSCertificateConfiguration = {
          CertificateProviderType = "PEM"
          S3Object                = "s3://${aws_s3_bucket.this["artifacts"].id}/${var.tls_certificates_key}"
        }
      }
      AtRestEncryptionConfiguration = {
        S3EncryptionConfiguration = {
          EncryptionMode = "SSE-KMS"
          AwsKmsKey      = aws_kms_key.this.arn
        }
        LocalDiskEncryptionConfiguration = {
          EncryptionKeyProviderType = "AwsKms"
          AwsKmsKey                 = aws_kms_key.this.arn
          EnableEbsEncryption       = true
        }
      }
    }
  })
}

locals {
  spec_uri = "s3://${aws_s3_bucket.this["artifacts"].id}/${var.spec_key}"
  out_uri  = "s3://${aws_s3_bucket.this["data"].id}/${var.run_prefix}/${var.run_id}"
  spindle_run = concat([
    "/usr/local/bin/spindle", "run", local.spec_uri,
    "--runner", "flink", "--endpoint", "localhost:8099",
    "--environment-type", "PROCESS", "--environment-config", "{\"command\": \"/usr/local/bin/beam-boot\"}",
    "--staging", "s3://${aws_s3_bucket.this["data"].id}/staging/${var.run_id}",
    "--out", local.out_uri,
  ], var.spindle_args)
}

resource "aws_emr_cluster" "this" {
  count                             = var.create_cluster ? 1 : 0
  name                              = "${var.name}-spindle-${var.run_id}"
  release_label                     = var.release_label
  applications                      = ["Hadoop", "Flink"]
  service_role                      = aws_iam_role.emr_service.arn
  security_configuration            = aws_emr_security_configuration.this.name
  log_uri                           = "s3://${aws_s3_bucket.this["logs"].id}/emr/"
  log_encryption_kms_key_id         = aws_kms_key.this.arn
  keep_job_flow_alive_when_no_steps = var.keep_alive
  termination_protection            = false
  step_concurrency_level            = 1
  ebs_root_volume_size              = 32

  auto_termination_policy {
    idle_timeout = var.idle_timeout_seconds
  }

  ec2_attributes {
    subnet_id                         = var.subnet_id
    instance_profile                  = aws_iam_instance_profile.instance.arn
    emr_managed_master_security_group = aws_security_group.primary.id
    emr_managed_slave_security_group  = aws_security_group.core.id
    service_access_security_group     = aws_security_group.service_access.id
  }

  master_instance_group {
    instance_type = var.master_instance_type
  }

  core_instance_group {
    instance_type  = var.core_instance_type
    instance_count = var.core_instance_count
    ebs_config {
      size                 = var.ebs_volume_size_gb
      type                 = "gp3"
      volumes_per_instance = 1
    }
  }

  bootstrap_action {
    name = "install-spindle"
    path = "s3://${aws_s3_object.bootstrap.bucket}/${aws_s3_object.bootstrap.key}"
    args = [aws_s3_bucket.this["artifacts"].id, var.spindle_binary_key, var.boot_binary_key]
  }

  step {
    name              = "start-beam-flink-job-server"
    action_on_failure = "TERMINATE_CLUSTER"
    hadoop_jar_step {
      jar  = "command-runner.jar"
      args = ["bash", "-c", "aws s3 cp s3://${aws_s3_object.start_job_server.bucket}/${aws_s3_object.start_job_server.key} /tmp/start-job-server.sh && bash /tmp/start-job-server.sh ${aws_s3_bucket.this["artifacts"].id} ${var.job_server_jar_key}"]
    }
  }

  step {
    name              = "spindle-run"
    action_on_failure = var.keep_alive ? "CONTINUE" : "TERMINATE_CLUSTER"
    hadoop_jar_step {
      jar  = "command-runner.jar"
      args = local.spindle_run
    }
  }

  tags = merge(local.tags, local.emr_tag)

  depends_on = [
    aws_iam_role_policy.emr_service,
    aws_iam_role_policy_attachment.emr_service_v2,
    aws_iam_role_policy.instance,
    aws_s3_bucket_policy.this,
  ]
}

resource "aws_emr_managed_scaling_policy" "this" {
  count      = var.create_cluster && var.managed_scaling != null ? 1 : 0
  cluster_id = aws_emr_cluster.this[0].id
  compute_limits {
    unit_type                       = "Instances"
    minimum_capacity_units          = var.managed_scaling.min_units
    maximum_capacity_units          = var.managed_scaling.max_units
    maximum_core_capacity_units     = var.managed_scaling.max_core_units
    maximum_ondemand_capacity_units = var.managed_scaling.max_units
  }
}

# Optional spot task nodes: capacity for Flink task managers that can be
# reclaimed without losing HDFS blocks.
resource "aws_emr_instance_group" "spot_task" {
  count          = var.create_cluster && var.task_spot_instance_count > 0 ? 1 : 0
  name           = "${var.name}-spot-task"
  cluster_id     = aws_emr_cluster.this[0].id
  instance_type  = var.task_instance_type
  instance_count = var.task_spot_instance_count
  bid_price      = var.task_spot_max_price
  ebs_config {
    size                 = var.ebs_volume_size_gb
    type                 = "gp3"
    volumes_per_instance = 1
  }
}
