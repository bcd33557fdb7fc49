package deploy_test

import (
	"strings"
	"testing"

	"github.com/spindle-ml/spindle/internal/deploycheck"
)

// TestDeployPasses: every configuration under deploy/ passes the rules,
// and the rules did read the module's buckets, groups and policies.
func TestDeployPasses(t *testing.T) {
	c, err := deploycheck.Load(".")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range c.Check() {
		t.Error(f)
	}
	res := c.Resources()
	for typ, min := range map[string]int{
		"aws_s3_bucket": 2, "aws_s3_bucket_server_side_encryption_configuration": 2, "aws_s3_bucket_public_access_block": 2,
		"aws_security_group": 3, "aws_emr_cluster": 1, "aws_iam_role": 2, "aws_kms_key": 2,
	} {
		if res[typ] < min {
			t.Errorf("%d %s blocks read, want at least %d", res[typ], typ, min)
		}
	}
}

// TestRulesFail: each rule catches a configuration that breaks it.
func TestRulesFail(t *testing.T) {
	const goodBucket = `
resource "aws_s3_bucket" "b" { bucket = "x" }
resource "aws_s3_bucket_server_side_encryption_configuration" "b" {
  bucket = aws_s3_bucket.b.id
  rule {
    apply_server_side_encryption_by_default { sse_algorithm = "aws:kms" }
  }
}
resource "aws_s3_bucket_public_access_block" "b" {
  bucket                  = aws_s3_bucket.b.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}
`
	cases := []struct {
		name, file, src, rule string
	}{
		{"good config", "ok.tf", goodBucket, ""},
		{"s3:* on *", "iam.tf", `data "aws_iam_policy_document" "p" {
  statement {
    actions   = ["s3:*"]
    resources = ["*"]
  }
}`, deploycheck.RuleWildcardS3},
		{"* on * in JSON", "iam.tf", `resource "aws_iam_role_policy" "p" {
  role   = "r"
  policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "*", Resource = "*" }] })
}`, deploycheck.RuleWildcardS3},
		{"deny s3:* on * is fine", "iam.tf", `data "aws_iam_policy_document" "p" {
  statement {
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = ["*"]
  }
}`, ""},
		{"ingress block from anywhere", "sg.tf", `resource "aws_security_group" "s" {
  ingress {
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}`, deploycheck.RulePublicIngress},
		{"ingress rule from anywhere (IPv6)", "sg.tf", `resource "aws_vpc_security_group_ingress_rule" "r" {
  security_group_id = "sg-1"
  ip_protocol       = "tcp"
  cidr_ipv6         = "::/0"
}`, deploycheck.RulePublicIngress},
		{"old-style ingress rule", "sg.tf", `resource "aws_security_group_rule" "r" {
  type        = "ingress"
  cidr_blocks = ["10.0.0.0/8", "0.0.0.0/0"]
}`, deploycheck.RulePublicIngress},
		{"bucket without encryption", "s3.tf", strings.Replace(goodBucket, `resource "aws_s3_bucket_server_side_encryption_configuration" "b" {
  bucket = aws_s3_bucket.b.id`, `resource "aws_s3_bucket_server_side_encryption_configuration" "b" {
  bucket = aws_s3_bucket.other.id`, 1), deploycheck.RuleBucketSecurity},
		{"public access block not complete", "s3.tf", strings.Replace(goodBucket, "restrict_public_buckets = true", "restrict_public_buckets = false", 1), deploycheck.RuleBucketSecurity},
		{"bucket without public access block", "s3.tf", goodBucket + `resource "aws_s3_bucket" "c" { bucket = "y" }`, deploycheck.RuleBucketSecurity},
		{"access key id in a file", "notes.md", "use AKIA" + "ABCDEFGHIJKLMNOP to deploy", deploycheck.RuleCredentials},
		{"provider with a secret", "p.tf", `provider "aws" {
  access_key = "my-access-key"
  secret_key = "my-secret"
}`, deploycheck.RuleCredentials},
		{"private key", "cert.pem", "-----BEGIN RSA " + "PRIVATE KEY-----\nMIIB\n", deploycheck.RuleCredentials},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := deploycheck.Parse(map[string]string{c.file: c.src})
			if err != nil {
				t.Fatal(err)
			}
			fs := cfg.Check()
			if c.rule == "" {
				if len(fs) != 0 {
					t.Fatalf("findings on a good config: %v", fs)
				}
				return
			}
			if len(fs) == 0 || fs[0].Rule != c.rule {
				t.Fatalf("got %v, want a %s finding", fs, c.rule)
			}
			t.Log(fs[0])
		})
	}
}
