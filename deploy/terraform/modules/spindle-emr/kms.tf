# One customer-managed key encrypts the buckets (with sse_mode = "kms"),
# EMR's local disks and EBS volumes, and the cluster logs. Its policy
# delegates to IAM; the roles below get only what they use.
data "aws_iam_policy_document" "kms" {
  statement {
    sid       = "AccountAdministersTheKeyThroughIAM"
    actions   = ["kms:*"]
    resources = ["*"] # in a key policy, "*" is this key
    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account}:root"]
    }
  }
}

resource "aws_kms_key" "this" {
  description             = "${var.name}: Spindle data, artifacts, logs and EMR disks"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.kms.json
  tags                    = local.tags
}

resource "aws_kms_alias" "this" {
  name          = "alias/${var.name}-spindle"
  target_key_id = aws_kms_key.this.key_id
}
