"""Business acknowledgements: the use case (HTTP and reply messages) and its broker consumer."""

from hub.acknowledgements._acknowledging import Acknowledgements
from hub.acknowledgements._consumer import AcknowledgementConsumer

__all__ = ["AcknowledgementConsumer", "Acknowledgements"]
