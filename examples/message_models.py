"""The seed's message models: the built-in roles and a custom message class."""

from ramify.core import AssistantMessage, Message, SystemMessage, UserMessage

user_message = UserMessage(text="Hello!")
system_message = SystemMessage(text="System message")
assistant_message = AssistantMessage(text="Assistant message")

print(user_message.role, system_message.role, assistant_message.role)


class CustomMessage(Message):
    custom_field: str


message = CustomMessage(text="Hello", custom_field="Custom Value")
print(message.text)  # Output: Hello
print(message.custom_field)  # Output: Custom Value
