# Three buckets made by this code: data (inputs and run outputs),
# artifacts (binaries, specs, scripts, certificates) and logs (EMR logs and
# the other buckets' access logs). Every one is versioned, encrypted,
# private (all four public-access blocks, owner-enforced objects) and
# refuses plain HTTP.
resource "aws_s3_bucket" "this" {
  for_each      = local.buckets
  bucket        = each.value
  force_destroy = var.force_destroy
  tags          = merge(local.tags, { "spindle:role" = each.key })
}

resource "aws_s3_bucket_ownership_controls" "this" {
  for_each = aws_s3_bucket.this
  bucket   = each.value.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "this" {
  for_each                = aws_s3_bucket.this
  bucket                  = each.value.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "this" {
  for_each = aws_s3_bucket.this
  bucket   = each.value.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  for_each = aws_s3_bucket.this
  bucket   = each.value.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = var.sse_mode == "kms" ? "aws:kms" : "AES256"
      kms_master_key_id = var.sse_mode == "kms" ? aws_kms_key.this.arn : null
    }
    bucket_key_enabled = var.sse_mode == "kms"
  }
}

data "aws_iam_policy_document" "tls_only" {
  for_each = aws_s3_bucket.this
  statement {
    sid     = "DenyInsecureTransport"
    effect  = "Deny"
    actions = ["s3:*"]
    resources = [
      each.value.arn,
      "${each.value.arn}/*",
    ]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
  dynamic "statement" {
    # S3 server access logs are delivered by the logging service.
    for_each = each.key == "logs" ? [1] : []
    content {
      sid       = "AllowServerAccessLogDelivery"
      actions   = ["s3:PutObject"]
      resources = ["${each.value.arn}/access/*"]
      principals {
        type        = "Service"
        identifiers = ["logging.s3.amazonaws.com"]
      }
      condition {
        test     = "StringEquals"
        variable = "aws:SourceAccount"
        values   = [local.account]
      }
    }
  }
}

resource "aws_s3_bucket_policy" "this" {
  for_each   = aws_s3_bucket.this
  bucket     = each.value.id
  policy     = data.aws_iam_policy_document.tls_only[each.key].json
  depends_on = [aws_s3_bucket_public_access_block.this]
}

resource "aws_s3_bucket_logging" "this" {
  for_each      = { for k, b in aws_s3_bucket.this : k => b if k != "logs" }
  bucket        = each.value.id
  target_bucket = aws_s3_bucket.this["logs"].id
  target_prefix = "access/${each.key}/"
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  for_each = aws_s3_bucket.this
  bucket   = each.value.id

  rule {
    id     = "noncurrent-versions"
    status = "Enabled"
    filter {}
    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_days
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  dynamic "rule" {
    for_each = each.key == "logs" ? [1] : []
    content {
      id     = "expire-logs"
      status = "Enabled"
      filter {}
      expiration {
        days = var.log_retention_days
      }
    }
  }

  dynamic "rule" {
    for_each = each.key == "data" ? [1] : []
    content {
      id     = "expire-staging"
      status = "Enabled"
      filter {
        prefix = "staging/"
      }
      expiration {
        days = var.staging_retention_days
      }
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}
