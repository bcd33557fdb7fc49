variable "region" {
  description = "Region of the state bucket."
  type        = string
  default     = "eu-west-1"
}

variable "prefix" {
  description = "Prefix of the state bucket's name."
  type        = string
  default     = "spindle-tfstate"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,30}$", var.prefix))
    error_message = "prefix must be lower-case letters, digits and hyphens."
  }
}
