variable "region" {
  description = "The AWS region of the cluster."
  type        = string
  default     = "eu-west-1"
}

variable "cluster_name" {
  description = "The EKS cluster's name."
  type        = string
  default     = "platform"
}

variable "kubernetes_version" {
  description = "The Kubernetes version of the control plane and the node groups."
  type        = string
  default     = "1.34"
}

variable "large_instance_type" {
  description = "Retool needs at least 8 vCPU and 16 GiB of memory per node."
  type        = string
  default     = "m6i.2xlarge"
}
