# Linear probe of a pre-trained ResNet-18 on ImageNet-1k: the ResNet-50 protocol (see there)
# with a ResNet-18 backbone and a 512-channel classifier.
_base_ = './resnet50_8xb32-linear-steplr-100e_in1k.py'

model = dict(backbone=dict(depth=18), head=dict(in_channels=512))
